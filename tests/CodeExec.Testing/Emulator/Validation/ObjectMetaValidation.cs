using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>A name rule of a kind: apimachinery's <c>ValidateNameFunc</c> (name, prefix) returning messages.</summary>
internal delegate IReadOnlyList<string> NameRule(string name, bool prefix);

/// <summary>
/// The string checks of <c>k8s.io/apimachinery/pkg/util/validation</c> and <c>pkg/api/validate/content</c>
/// (DNS-1123 labels and subdomains, qualified names, label values, config-map keys, path segments, ports), with
/// upstream's messages.
/// </summary>
internal static partial class Content
{
    private const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    private const string LabelKeyFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFormat = "(" + LabelKeyFormat + ")?";
    private const string ConfigMapKeyFormat = "[-._a-zA-Z0-9]+";

    [GeneratedRegex("^" + Dns1123LabelFormat + "$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^" + Dns1123SubdomainFormat + "$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^" + LabelKeyFormat + "$")]
    private static partial Regex LabelKey();

    [GeneratedRegex("^" + LabelValueFormat + "$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^" + ConfigMapKeyFormat + "$")]
    private static partial Regex ConfigMapKey();

    [GeneratedRegex("^[-a-z0-9]+$")]
    private static partial Regex PortNameCharset();

    /// <summary>MaxLenError.</summary>
    public static string MaxLenError(int length) => string.Create(CultureInfo.InvariantCulture, $"must be no more than {length} characters");

    /// <summary>RegexError: the message, examples and the regular expression.</summary>
    public static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return message + " (regex used for validation is '" + format + "')";
        }

        var text = new StringBuilder(message).Append(" (e.g. ");
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                text.Append(" or ");
            }

            text.Append('\'').Append(examples[i]).Append("', ");
        }

        return text.Append("regex used for validation is '").Append(format).Append("')").ToString();
    }

    /// <summary>Length in bytes, as Go's <c>len</c> of a string.</summary>
    public static int ByteLength(string value) => Encoding.UTF8.GetByteCount(value);

    /// <summary>IsDNS1123Label.</summary>
    public static List<string> IsDns1123Label(string value)
    {
        var errors = new List<string>();
        if (ByteLength(value) > 63)
        {
            errors.Add(MaxLenError(63));
        }

        if (!Dns1123Label().IsMatch(value))
        {
            errors.Add(Dns1123Subdomain().IsMatch(value)
                ? "must not contain dots"
                : RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    Dns1123LabelFormat, "my-name", "123-abc"));
        }

        return errors;
    }

    /// <summary>IsDNS1123Subdomain.</summary>
    public static List<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (ByteLength(value) > 253)
        {
            errors.Add(MaxLenError(253));
        }

        if (!Dns1123Subdomain().IsMatch(value))
        {
            errors.Add(RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                Dns1123SubdomainFormat, "example.com"));
        }

        return errors;
    }

    /// <summary>IsQualifiedName (content.IsLabelKey): an optional DNS subdomain prefix and a name part.</summary>
    public static List<string> IsQualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a valid label key " + RegexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    LabelKeyFormat, "MyName", "my.name", "123-abc") + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (ByteLength(name) > 63)
        {
            errors.Add("name part " + MaxLenError(63));
        }

        if (!LabelKey().IsMatch(name))
        {
            errors.Add("name part " + RegexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                LabelKeyFormat, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    /// <summary>IsValidLabelValue (content.IsLabelValue).</summary>
    public static List<string> IsLabelValue(string value)
    {
        var errors = new List<string>();
        if (ByteLength(value) > 63)
        {
            errors.Add(MaxLenError(63));
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(RegexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                LabelValueFormat, "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    /// <summary>IsConfigMapKey: the keys of ConfigMap and Secret data.</summary>
    public static List<string> IsConfigMapKey(string value)
    {
        var errors = new List<string>();
        if (ByteLength(value) > 253)
        {
            errors.Add(MaxLenError(253));
        }

        if (!ConfigMapKey().IsMatch(value))
        {
            errors.Add(RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", ConfigMapKeyFormat, "key.name", "KEY_NAME", "key-name"));
        }

        if (value == ".")
        {
            errors.Add("must not be '.'");
        }
        else if (value == "..")
        {
            errors.Add("must not be '..'");
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            errors.Add("must not start with '..'");
        }

        return errors;
    }

    /// <summary>IsValidPortNum.</summary>
    public static List<string> IsValidPortNum(long port) =>
        port is >= 1 and <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];

    /// <summary>IsValidPortName (IANA_SVC_NAME).</summary>
    public static List<string> IsValidPortName(string port)
    {
        var errors = new List<string>();
        if (ByteLength(port) > 15)
        {
            errors.Add(MaxLenError(15));
        }

        if (!PortNameCharset().IsMatch(port))
        {
            errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!port.Any(c => c is >= 'a' and <= 'z'))
        {
            errors.Add("must contain at least one letter (a-z)");
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            errors.Add("must not contain consecutive hyphens");
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errors.Add("must not begin or end with a hyphen");
        }

        return errors;
    }

    /// <summary>IsPathSegmentName / IsPathSegmentPrefix: what the generic registry requires of every name.</summary>
    public static List<string> IsPathSegment(string name, bool prefix)
    {
        if (!prefix && name is "." or "..")
        {
            return [$"may not be '{name}'"];
        }

        var errors = new List<string>();
        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                errors.Add($"may not contain '{illegal}'");
            }
        }

        return errors;
    }

    /// <summary>NameIsDNSSubdomain: a generateName prefix may end with '-'.</summary>
    public static IReadOnlyList<string> NameIsDnsSubdomain(string name, bool prefix) => IsDns1123Subdomain(prefix ? MaskTrailingDash(name) : name);

    /// <summary>NameIsDNSLabel (namespaces).</summary>
    public static IReadOnlyList<string> NameIsDnsLabel(string name, bool prefix) => IsDns1123Label(prefix ? MaskTrailingDash(name) : name);

    /// <summary>The generic registry's rule (BeforeCreate's validatePathSegment).</summary>
    public static IReadOnlyList<string> NameIsPathSegment(string name, bool prefix) => IsPathSegment(name, prefix);

    private static string MaskTrailingDash(string name) =>
        name.Length > 1 && name[^1] == '-' ? name[..^1] + "a" : name;
}

/// <summary>
/// ObjectMeta validation of apimachinery's <c>pkg/api/validation/objectmeta.go</c> (<c>ValidateObjectMetaAccessor</c>,
/// <c>ValidateObjectMetaAccessorUpdate</c>, <c>ValidateAnnotations</c>, <c>ValidateOwnerReferences</c>,
/// <c>ValidateFinalizers</c>), <c>ValidateLabels</c> of <c>pkg/apis/meta/v1/validation</c>, and the core group's
/// extra finalizer-name rule (<c>pkg/apis/core/validation</c> <c>ValidateObjectMeta</c>).
/// </summary>
internal static class ObjectMetaValidation
{
    /// <summary>TotalAnnotationSizeLimitB: 256 KiB of keys and values.</summary>
    public const int TotalAnnotationSizeLimitB = 256 * 1024;

    private static readonly HashSet<string> StandardFinalizers = ["kubernetes", "orphan", "foregroundDeletion"];

    /// <summary>
    /// ValidateObjectMeta (ValidateObjectMetaAccessor): generateName and name by the kind's rule, namespace, labels,
    /// annotations, ownerReferences, finalizers and managedFields. <paramref name="kubeFinalizers"/> adds core's
    /// rule that an unqualified finalizer must be a standard one.
    /// </summary>
    public static List<MetaFieldError> ValidateObjectMeta(JsonObject obj, bool requiresNamespace, NameRule nameRule, bool kubeFinalizers = false)
    {
        var metadata = obj["metadata"] as JsonObject ?? [];
        var errors = new List<MetaFieldError>();
        var generateName = ObjectMeta.GetString(metadata, "generateName") ?? "";
        if (generateName.Length > 0)
        {
            errors.AddRange(nameRule(generateName, true).Select(m => FieldErrors.Invalid("metadata.generateName", generateName, m)));
        }

        var name = ObjectMeta.GetString(metadata, "name") ?? "";
        if (name.Length == 0)
        {
            errors.Add(FieldErrors.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            errors.AddRange(nameRule(name, false).Select(m => FieldErrors.Invalid("metadata.name", name, m)));
        }

        var @namespace = ObjectMeta.GetString(metadata, "namespace") ?? "";
        if (requiresNamespace)
        {
            if (@namespace.Length == 0)
            {
                errors.Add(FieldErrors.Required("metadata.namespace", ""));
            }
            else
            {
                errors.AddRange(Content.NameIsDnsLabel(@namespace, false).Select(m => FieldErrors.Invalid("metadata.namespace", @namespace, m)));
            }
        }
        else if (@namespace.Length > 0)
        {
            errors.Add(FieldErrors.Forbidden("metadata.namespace", "not allowed on this type"));
        }

        if (ObjectMeta.GetLong(metadata, "generation") is < 0 and var generation)
        {
            errors.Add(FieldErrors.Invalid("metadata.generation", generation, "must be greater than or equal to 0"));
        }

        errors.AddRange(ValidateLabels(StringMap(metadata["labels"]), "metadata.labels"));
        errors.AddRange(ValidateAnnotations(StringMap(metadata["annotations"]), "metadata.annotations"));
        errors.AddRange(ValidateOwnerReferences(metadata["ownerReferences"] as JsonArray, "metadata.ownerReferences"));
        var finalizers = Strings(metadata["finalizers"]);
        errors.AddRange(ValidateFinalizers(finalizers, "metadata.finalizers"));
        errors.AddRange(ValidateManagedFields(metadata["managedFields"] as JsonArray, "metadata.managedFields"));
        if (kubeFinalizers)
        {
            errors.AddRange(ValidateKubeFinalizerNames(finalizers));
        }

        return errors;
    }

    /// <summary>
    /// ValidateObjectMetaUpdate (ValidateObjectMetaAccessorUpdate): no new finalizers while deleting, immutable
    /// name, namespace, uid, creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds, then labels,
    /// annotations, ownerReferences and managedFields of the new object.
    /// </summary>
    public static List<MetaFieldError> ValidateObjectMetaUpdate(JsonObject next, JsonObject old, bool kubeFinalizers = false)
    {
        var metadata = next["metadata"] as JsonObject ?? [];
        var oldMetadata = old["metadata"] as JsonObject ?? [];
        var errors = new List<MetaFieldError>();
        if (oldMetadata["deletionTimestamp"] is not null)
        {
            var added = Strings(metadata["finalizers"]).Except(Strings(oldMetadata["finalizers"]), StringComparer.Ordinal).Distinct().Order(StringComparer.Ordinal).ToList();
            if (added.Count > 0)
            {
                errors.Add(FieldErrors.Forbidden("metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers " + FieldErrors.GoStringSlice(added).Text));
            }
        }

        if (string.IsNullOrEmpty(ObjectMeta.GetString(metadata, "resourceVersion")))
        {
            errors.Add(FieldErrors.Invalid("metadata.resourceVersion", "", "must be specified for an update"));
        }

        foreach (var field in new[] { "name", "namespace", "uid" })
        {
            var value = ObjectMeta.GetString(metadata, field) ?? "";
            if (value != (ObjectMeta.GetString(oldMetadata, field) ?? ""))
            {
                errors.Add(FieldErrors.Immutable("metadata." + field, value));
            }
        }

        foreach (var field in new[] { "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            if (!JsonNode.DeepEquals(metadata[field], oldMetadata[field]))
            {
                errors.Add(FieldErrors.Immutable("metadata." + field, GoValue(metadata[field])));
            }
        }

        errors.AddRange(ValidateLabels(StringMap(metadata["labels"]), "metadata.labels"));
        errors.AddRange(ValidateAnnotations(StringMap(metadata["annotations"]), "metadata.annotations"));
        errors.AddRange(ValidateOwnerReferences(metadata["ownerReferences"] as JsonArray, "metadata.ownerReferences"));
        errors.AddRange(ValidateManagedFields(metadata["managedFields"] as JsonArray, "metadata.managedFields"));
        if (kubeFinalizers)
        {
            errors.AddRange(ValidateKubeFinalizerNames(Strings(metadata["finalizers"])));
        }

        return errors;
    }

    /// <summary>ValidateLabels: keys are qualified names, values valid label values (at most 63 characters).</summary>
    public static List<MetaFieldError> ValidateLabels(IEnumerable<KeyValuePair<string, string>> labels, string path)
    {
        var errors = new List<MetaFieldError>();
        foreach (var (key, value) in labels)
        {
            errors.AddRange(Content.IsQualifiedName(key).Select(m => FieldErrors.Invalid(path, key, m)));
            errors.AddRange(Content.IsLabelValue(value).Select(m => FieldErrors.Invalid(path, value, m)));
        }

        return errors;
    }

    /// <summary>ValidateAnnotations: keys are qualified names (case-insensitive), at most 256 KiB in all.</summary>
    public static List<MetaFieldError> ValidateAnnotations(IEnumerable<KeyValuePair<string, string>> annotations, string path)
    {
        var errors = new List<MetaFieldError>();
        long total = 0;
        foreach (var (key, value) in annotations)
        {
            errors.AddRange(Content.IsQualifiedName(key.ToLowerInvariant()).Select(m => FieldErrors.Invalid(path, key, m)));
            total += Content.ByteLength(key) + Content.ByteLength(value);
        }

        if (total > TotalAnnotationSizeLimitB)
        {
            errors.Add(FieldErrors.TooLong(path, TotalAnnotationSizeLimitB));
        }

        return errors;
    }

    /// <summary>
    /// ValidateOwnerReferences: each reference needs apiVersion (with a version), kind, name and uid, core/v1
    /// Event cannot own anything, and at most one reference is the controller.
    /// </summary>
    public static List<MetaFieldError> ValidateOwnerReferences(JsonArray? references, string path)
    {
        var errors = new List<MetaFieldError>();
        string? firstController = null;
        foreach (var reference in (references ?? []).OfType<JsonObject>())
        {
            var apiVersion = ObjectMeta.GetString(reference, "apiVersion") ?? "";
            var kind = ObjectMeta.GetString(reference, "kind") ?? "";
            var name = ObjectMeta.GetString(reference, "name") ?? "";
            var uid = ObjectMeta.GetString(reference, "uid") ?? "";
            var (group, version) = SplitApiVersion(apiVersion);
            if (version.Length == 0)
            {
                errors.Add(FieldErrors.Invalid(path + ".apiVersion", apiVersion, "version must not be empty"));
            }

            if (kind.Length == 0)
            {
                errors.Add(FieldErrors.Invalid(path + ".kind", kind, "must not be empty"));
            }

            if (name.Length == 0)
            {
                errors.Add(FieldErrors.Invalid(path + ".name", name, "must not be empty"));
            }

            if (uid.Length == 0)
            {
                errors.Add(FieldErrors.Invalid(path + ".uid", uid, "must not be empty"));
            }

            if (group.Length == 0 && version == "v1" && kind == "Event")
            {
                errors.Add(FieldErrors.Invalid(path, new RawValue(GoOwnerReference(reference)), "/v1, Kind=Event is disallowed from being an owner"));
            }

            if (reference["controller"] is JsonValue controller && controller.TryGetValue<bool>(out var isController) && isController)
            {
                var current = kind + "/" + name;
                if (firstController is not null)
                {
                    errors.Add(FieldErrors.Invalid(path, new RawValue(GoOwnerReferences(references!)),
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {firstController} and {current}"));
                }
                else
                {
                    firstController = current;
                }
            }
        }

        return errors;
    }

    /// <summary>ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion.</summary>
    public static List<MetaFieldError> ValidateFinalizers(IReadOnlyList<string> finalizers, string path)
    {
        var errors = new List<MetaFieldError>();
        foreach (var finalizer in finalizers)
        {
            errors.AddRange(Content.IsQualifiedName(finalizer).Select(m => FieldErrors.Invalid(path, finalizer, m)));
        }

        if (finalizers.Contains("orphan") && finalizers.Contains("foregroundDeletion"))
        {
            errors.Add(FieldErrors.Invalid(path, FieldErrors.GoStringSlice(finalizers), "finalizer orphan and foregroundDeletion cannot be both set"));
        }

        return errors;
    }

    /// <summary>validateKubeFinalizerName of the core group: an unqualified finalizer must be a standard one.</summary>
    public static List<MetaFieldError> ValidateKubeFinalizerNames(IReadOnlyList<string> finalizers)
    {
        var errors = new List<MetaFieldError>();
        for (var i = 0; i < finalizers.Count; i++)
        {
            var finalizer = finalizers[i];
            var path = FieldErrors.Index("metadata.finalizers", i);
            var nameErrors = Content.IsQualifiedName(finalizer);
            errors.AddRange(nameErrors.Select(m => FieldErrors.Invalid(path, finalizer, m)));
            if (nameErrors.Count == 0 && !finalizer.Contains('/', StringComparison.Ordinal) && !StandardFinalizers.Contains(finalizer))
            {
                errors.Add(FieldErrors.Invalid(path, finalizer, "name is neither a standard finalizer name nor is it fully qualified"));
            }
        }

        return errors;
    }

    /// <summary>ValidateManagedFields: operation Apply or Update, fieldsType FieldsV1.</summary>
    public static List<MetaFieldError> ValidateManagedFields(JsonArray? entries, string path)
    {
        var errors = new List<MetaFieldError>();
        var index = 0;
        foreach (var entry in entries ?? [])
        {
            var entryPath = FieldErrors.Index(path, index++);
            var operation = ObjectMeta.GetString(entry as JsonObject, "operation") ?? "";
            if (operation is not ("Apply" or "Update"))
            {
                errors.Add(FieldErrors.Invalid(entryPath + ".operation", operation, "must be `Apply` or `Update`"));
            }

            var fieldsType = ObjectMeta.GetString(entry as JsonObject, "fieldsType") ?? "";
            if (fieldsType.Length > 0 && fieldsType != "FieldsV1")
            {
                errors.Add(FieldErrors.Invalid(entryPath + ".fieldsType", fieldsType, "must be `FieldsV1`"));
            }
        }

        return errors;
    }

    /// <summary>A map of strings (labels, annotations, data) in document order; non-strings read as their JSON text.</summary>
    public static List<KeyValuePair<string, string>> StringMap(JsonNode? node) =>
        node is JsonObject map
            ? [.. map.Select(p => new KeyValuePair<string, string>(p.Key, p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? ""))]
            : [];

    /// <summary>A list of strings (finalizers, policyTypes, values).</summary>
    public static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(v => v is JsonValue value && value.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "")] : [];

    /// <summary>A timestamp as Go's time.Time String() prints it, a number as is, nothing as null.</summary>
    private static RawValue GoValue(JsonNode? node)
    {
        if (node is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return new RawValue(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " +0000 UTC");
        }

        return new RawValue(node?.ToJsonString() ?? "null");
    }

    private static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    private static string GoOwnerReference(JsonObject reference)
    {
        static string Pointer(JsonNode? node) => node is null ? "(*bool)(nil)" : "(*bool)(" + node.ToJsonString() + ")";
        return string.Create(CultureInfo.InvariantCulture,
            $"v1.OwnerReference{{APIVersion:{FieldErrors.GoQuote(ObjectMeta.GetString(reference, "apiVersion") ?? "")}, Kind:{FieldErrors.GoQuote(ObjectMeta.GetString(reference, "kind") ?? "")}, Name:{FieldErrors.GoQuote(ObjectMeta.GetString(reference, "name") ?? "")}, UID:{FieldErrors.GoQuote(ObjectMeta.GetString(reference, "uid") ?? "")}, Controller:{Pointer(reference["controller"])}, BlockOwnerDeletion:{Pointer(reference["blockOwnerDeletion"])}}}");
    }

    private static string GoOwnerReferences(JsonArray references) =>
        "[]v1.OwnerReference{" + string.Join(", ", references.OfType<JsonObject>().Select(GoOwnerReference)) + "}";
}
