using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// ResourceQuota validation of <c>pkg/apis/core/validation</c>: <c>ValidateResourceQuota</c>,
/// <c>ValidateResourceQuotaUpdate</c>, <c>ValidateResourceQuotaSpec</c>, <c>ValidateResourceQuotaResourceName</c>,
/// <c>ValidateResourceQuantityValue</c>, <c>validateResourceQuotaScopes</c> and <c>validateScopeSelector</c>, with the
/// resource-name tables of <c>pkg/apis/core/helper</c>. A hard value that is no quantity at all is refused while
/// decoding, as the API server does: 400 BadRequest.
/// </summary>
internal static partial class ResourceQuotaValidation
{
    private const string QuantityFormatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    private static readonly HashSet<string> StandardResources =
    [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas",
        "services.loadbalancers", "services.nodeports", "secrets", "configmaps", "persistentvolumeclaims", "requests.storage",
    ];

    private static readonly HashSet<string> StandardQuotaResources =
    [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas",
        "secrets", "persistentvolumeclaims", "configmaps", "services.nodeports", "services.loadbalancers",
    ];

    private static readonly HashSet<string> IntegerResources =
    [
        "pods", "services", "replicationcontrollers", "resourcequotas", "services.loadbalancers", "services.nodeports", "secrets",
        "configmaps", "persistentvolumeclaims",
    ];

    private static readonly HashSet<string> StandardScopes = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"];

    private static readonly HashSet<string> PodComputeResources = ["cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"];

    private static readonly string[][] ConflictingScopes = [["BestEffort", "NotBestEffort"], ["NotTerminating", "Terminating"]];

    [GeneratedRegex("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex QuantityPattern();

    /// <summary>ValidateResourceQuota: metadata, the spec and the status's hard and used.</summary>
    public static List<MetaFieldError> ValidateResourceQuota(JsonObject quota)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(quota, true, Content.NameIsDnsSubdomain, kubeFinalizers: true);
        errors.AddRange(ValidateResourceQuotaSpec(quota["spec"] as JsonObject ?? [], "spec"));
        var status = quota["status"] as JsonObject ?? [];
        errors.AddRange(ValidateResourceList(status["hard"] as JsonObject, "status.hard"));
        errors.AddRange(ValidateResourceList(status["used"] as JsonObject, "status.used"));
        return errors;
    }

    /// <summary>ValidateResourceQuotaUpdate: metadata update, the new spec, and scopes that cannot change.</summary>
    public static List<MetaFieldError> ValidateResourceQuotaUpdate(JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
        var spec = next["spec"] as JsonObject ?? [];
        errors.AddRange(ValidateResourceQuotaSpec(spec, "spec"));
        var scopes = ObjectMetaValidation.Strings(spec["scopes"]);
        var oldScopes = ObjectMetaValidation.Strings(old["spec"]?["scopes"]);
        if (!scopes.ToHashSet().SetEquals(oldScopes))
        {
            errors.Add(FieldErrors.Invalid("spec.scopes", FieldErrors.GoStringSlice(scopes, "core.ResourceQuotaScope"), "field is immutable"));
        }

        return errors;
    }

    /// <summary>ValidateResourceQuotaSpec: each hard resource's name and value, then scopes and scopeSelector.</summary>
    public static List<MetaFieldError> ValidateResourceQuotaSpec(JsonObject spec, string path)
    {
        var hard = spec["hard"] as JsonObject;
        var errors = ValidateResourceList(hard, path + ".hard");
        var hardNames = (hard ?? []).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        errors.AddRange(ValidateResourceQuotaScopes(ObjectMetaValidation.Strings(spec["scopes"]), hardNames, path + ".scopes"));
        if (spec["scopeSelector"] is JsonObject selector)
        {
            errors.AddRange(ValidateScopeSelector(selector, hardNames, ObjectMetaValidation.Strings(spec["scopes"]), path + ".scopeSelector"));
        }

        return errors;
    }

    /// <summary>A quota's resource list: ValidateResourceQuotaResourceName and ValidateResourceQuantityValue per entry.</summary>
    private static List<MetaFieldError> ValidateResourceList(JsonObject? resources, string path)
    {
        var errors = new List<MetaFieldError>();
        foreach (var (name, value) in resources ?? [])
        {
            var resourcePath = FieldErrors.Key(path, name);
            errors.AddRange(ValidateResourceQuotaResourceName(name, resourcePath));
            errors.AddRange(ValidateResourceQuantityValue(name, value, resourcePath));
        }

        return errors;
    }

    /// <summary>
    /// ValidateResourceQuotaResourceName: a qualified name; an unprefixed one must be a standard resource
    /// (validateResourceName) and a standard quota resource.
    /// </summary>
    public static List<MetaFieldError> ValidateResourceQuotaResourceName(string name, string path)
    {
        var errors = Content.IsQualifiedName(name).Select(m => FieldErrors.Invalid(path, name, m)).ToList();
        if (errors.Count > 0)
        {
            return errors;
        }

        if (!name.Contains('/', StringComparison.Ordinal))
        {
            if (!StandardResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                errors.Add(FieldErrors.Invalid(path, name, "must be a standard resource type or fully qualified"));
                return errors;
            }

            if (!StandardQuotaResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal)
                && !name.StartsWith("requests.hugepages-", StringComparison.Ordinal))
            {
                errors.Add(FieldErrors.Invalid(path, name, "must be a standard resource for quota"));
            }
        }

        return errors;
    }

    /// <summary>ValidateResourceQuantityValue: not negative, and whole for integer resources (object counts, extended resources).</summary>
    public static List<MetaFieldError> ValidateResourceQuantityValue(string name, JsonNode? value, string path)
    {
        var errors = new List<MetaFieldError>();
        var (text, quantity) = ParseQuantity(value);
        if (quantity < 0)
        {
            errors.Add(FieldErrors.Invalid(path, text, "must be greater than or equal to 0"));
        }

        if (IsIntegerResource(name) && quantity != decimal.Truncate(quantity))
        {
            errors.Add(FieldErrors.Invalid(path, new RawValue(text), "must be an integer"));
        }

        return errors;
    }

    /// <summary>validateResourceQuotaScopes: known scopes, fitting the hard resources, no conflicting pair.</summary>
    private static List<MetaFieldError> ValidateResourceQuotaScopes(List<string> scopes, List<string> hardNames, string path)
    {
        var errors = new List<MetaFieldError>();
        if (scopes.Count == 0)
        {
            return errors;
        }

        var value = FieldErrors.GoStringSlice(scopes, "core.ResourceQuotaScope");
        foreach (var scope in scopes)
        {
            if (!StandardScopes.Contains(scope))
            {
                errors.Add(FieldErrors.Invalid(path, value, "unsupported scope"));
            }

            foreach (var resource in hardNames)
            {
                if (IsStandardQuotaResource(resource) && !ScopeFitsResource(scope, resource))
                {
                    errors.Add(FieldErrors.Invalid(path, value, "unsupported scope applied to resource"));
                }
            }
        }

        foreach (var pair in ConflictingScopes)
        {
            if (pair.All(scopes.Contains))
            {
                errors.Add(FieldErrors.Invalid(path, value, "conflicting scopes"));
            }
        }

        return errors;
    }

    /// <summary>
    /// validateScopeSelector (validateScopedResourceSelectorRequirement): known scope names fitting the hard
    /// resources, Exists for the pod-state scopes, values only with In and NotIn, no conflicting pair.
    /// </summary>
    private static List<MetaFieldError> ValidateScopeSelector(JsonObject selector, List<string> hardNames, List<string> scopes, string path)
    {
        var errors = new List<MetaFieldError>();
        var expressionsPath = path + ".matchExpressions";
        var seen = new HashSet<string>();
        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var scope = ObjectMeta.GetString(expression, "scopeName") ?? "";
            var @operator = ObjectMeta.GetString(expression, "operator") ?? "";
            var values = ObjectMetaValidation.Strings(expression["values"]);
            if (!StandardScopes.Contains(scope))
            {
                errors.Add(FieldErrors.Invalid(expressionsPath + ".scopeName", scope, "unsupported scope"));
            }

            foreach (var resource in hardNames)
            {
                if (IsStandardQuotaResource(resource) && !ScopeFitsResource(scope, resource))
                {
                    errors.Add(FieldErrors.Invalid(expressionsPath, new RawValue("&core.ScopeSelector{" + selector.ToJsonString() + "}"), "unsupported scope applied to resource"));
                }
            }

            if (scope is "BestEffort" or "NotBestEffort" or "Terminating" or "NotTerminating" or "CrossNamespacePodAffinity" && @operator != "Exists")
            {
                errors.Add(FieldErrors.Invalid(expressionsPath + ".operator", @operator,
                    "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
            }

            switch (@operator)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        errors.Add(FieldErrors.Required(expressionsPath + ".values", "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count != 0)
                    {
                        errors.Add(FieldErrors.Invalid(expressionsPath + ".values", FieldErrors.GoStringSlice(values),
                            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
                    }

                    break;
                default:
                    errors.Add(FieldErrors.Invalid(expressionsPath + ".operator", @operator, "not a valid selector operator"));
                    break;
            }

            seen.Add(scope);
        }

        foreach (var pair in ConflictingScopes)
        {
            if (pair.All(seen.Contains))
            {
                errors.Add(FieldErrors.Invalid(expressionsPath, FieldErrors.GoStringSlice(scopes, "core.ResourceQuotaScope"), "conflicting scopes"));
            }
        }

        return errors;
    }

    private static bool IsStandardQuotaResource(string name) =>
        StandardQuotaResources.Contains(name) || name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.hugepages-", StringComparison.Ordinal);

    /// <summary>IsResourceQuotaScopeValidForResource.</summary>
    private static bool ScopeFitsResource(string scope, string resource) => scope switch
    {
        "Terminating" or "NotTerminating" or "NotBestEffort" or "PriorityClass" or "CrossNamespacePodAffinity" => resource == "pods" || PodComputeResources.Contains(resource),
        "BestEffort" => resource == "pods",
        _ => true,
    };

    /// <summary>IsIntegerResourceName: object counts and extended resources (prefixed, outside kubernetes.io).</summary>
    private static bool IsIntegerResource(string name)
    {
        if (IntegerResources.Contains(name))
        {
            return true;
        }

        var native = !name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal);
        return !native && !name.StartsWith("requests.", StringComparison.Ordinal) && Content.IsQualifiedName("requests." + name).Count == 0;
    }

    /// <summary>resource.ParseQuantity: the text and its value; 400 BadRequest when it is no quantity.</summary>
    internal static (string Text, decimal Value) ParseQuantity(JsonNode? node)
    {
        var text = node is JsonValue value && value.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";
        var match = QuantityPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw QuantityError(QuantityFormatError);
        }

        if (!decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw QuantityError(QuantityFormatError);
        }

        var suffix = match.Groups[2].Value;
        decimal multiplier = suffix switch
        {
            "" => 1m,
            "n" => 1e-9m,
            "u" => 1e-6m,
            "m" => 1e-3m,
            "k" => 1e3m,
            "M" => 1e6m,
            "G" => 1e9m,
            "T" => 1e12m,
            "P" => 1e15m,
            "E" => 1e18m,
            "Ki" => 1024m,
            "Mi" => 1024m * 1024,
            "Gi" => 1024m * 1024 * 1024,
            "Ti" => 1024m * 1024 * 1024 * 1024,
            "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
            "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
            _ when suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                && Math.Abs(exponent) <= 27 => (decimal)Math.Pow(10, exponent),
            _ => throw QuantityError("unable to parse quantity's suffix"),
        };
        var binary = suffix.Length == 2 && suffix[1] == 'i';
        return (Canonical(number * multiplier, binary), number * multiplier);
    }

    /// <summary>Quantity.String(): the canonical form the API server prints (1.5 is 1500m, 2048Ki is 2Mi).</summary>
    internal static string Canonical(decimal value, bool binary)
    {
        if (value == 0)
        {
            return "0";
        }

        var sign = value < 0 ? "-" : "";
        var magnitude = Math.Abs(value);
        if (binary && magnitude == decimal.Truncate(magnitude))
        {
            string[] binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            var step = 0;
            while (step < binarySuffixes.Length - 1 && magnitude % 1024 == 0)
            {
                magnitude /= 1024;
                step++;
            }

            return sign + magnitude.ToString("0", CultureInfo.InvariantCulture) + binarySuffixes[step];
        }

        var exponent = 0;
        while (magnitude != decimal.Truncate(magnitude) && exponent > -9)
        {
            magnitude *= 1000;
            exponent -= 3;
        }

        magnitude = decimal.Ceiling(magnitude);
        while (magnitude % 1000 == 0 && exponent < 18)
        {
            magnitude /= 1000;
            exponent += 3;
        }

        var decimalSuffix = exponent switch
        {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => "",
        };
        return sign + magnitude.ToString("0", CultureInfo.InvariantCulture) + decimalSuffix;
    }

    private static ApiStatusException QuantityError(string why) =>
        ApiStatusException.BadRequest("ResourceQuota in version \"v1\" cannot be handled as a ResourceQuota: " + why);
}
