using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using static CodeExec.Testing.Emulator.Validation.PodFieldRules;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// Pod validation as kube-apiserver does it after defaulting (<c>pkg/apis/core/validation/validation.go</c>):
/// <c>ValidatePodCreate</c>, <c>ValidatePodUpdate</c> and the spec rules under them, with upstream's field paths, error
/// types and messages. The object is the v1 JSON the client sent, already defaulted by the emulator. Object metadata
/// (names, labels, annotations) is validated elsewhere. What is not checked is listed in the emulator's README.
/// </summary>
internal static partial class PodValidation
{
    private static readonly string[] UpdatablePodSpecFields =
    [
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ];

    /// <summary>
    /// <c>ValidatePodCreate</c>: the spec rules plus what only a new Pod must meet (no ephemeral containers, no
    /// nodeName while scheduling gates remain). Throws the 400 the API server answers when a quantity cannot even be
    /// decoded.
    /// </summary>
    internal static IReadOnlyList<FieldError> ValidatePodCreate(JsonObject pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        RequireDecodableQuantities(pod);
        var errors = ValidatePodMetadataAndSpec(pod);
        var spec = Obj(pod, "spec") ?? [];
        if (Arr(spec, "ephemeralContainers").Count > 0)
        {
            errors.Add(FieldError.Forbidden("spec.ephemeralContainers", "cannot be set on create"));
        }

        if (Str(spec, "nodeName") is { Length: > 0 } && Arr(spec, "schedulingGates").Count > 0)
        {
            errors.Add(FieldError.Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
        }

        return errors;
    }

    /// <summary>
    /// <c>ValidatePodUpdate</c>: the new Pod must be valid, and its spec may change only in the fields upstream lets
    /// change (container images, a lower activeDeadlineSeconds, added tolerations, removed scheduling gates,
    /// terminationGracePeriodSeconds from negative to 1).
    /// </summary>
    internal static IReadOnlyList<FieldError> ValidatePodUpdate(JsonObject next, JsonObject old)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(old);
        RequireDecodableQuantities(next);
        var errors = ValidatePodMetadataAndSpec(next);
        var newSpec = Obj(next, "spec") ?? [];
        var oldSpec = Obj(old, "spec") ?? [];

        if (ValidateContainerUpdates(Arr(newSpec, "containers"), Arr(oldSpec, "containers"), "spec.containers", errors)
            || ValidateContainerUpdates(Arr(newSpec, "initContainers"), Arr(oldSpec, "initContainers"), "spec.initContainers", errors))
        {
            return errors;
        }

        var deadlinePath = "spec.activeDeadlineSeconds";
        if (Long(newSpec, "activeDeadlineSeconds") is { } newDeadline)
        {
            if (newDeadline is < 0 or > int.MaxValue)
            {
                errors.Add(FieldError.Invalid(deadlinePath, newDeadline, InclusiveRangeError(0, int.MaxValue)));
                return errors;
            }

            if (Long(oldSpec, "activeDeadlineSeconds") is { } oldDeadline && oldDeadline < newDeadline)
            {
                errors.Add(FieldError.Invalid(deadlinePath, newDeadline, "must be less than or equal to previous value"));
                return errors;
            }
        }
        else if (Long(oldSpec, "activeDeadlineSeconds") is not null)
        {
            errors.Add(FieldError.InvalidFormatted(deadlinePath, "null", "must not update from a positive integer to nil value"));
        }

        ValidateOnlyAddedTolerations(Arr(newSpec, "tolerations"), Arr(oldSpec, "tolerations"), "spec.tolerations", errors);
        ValidateOnlyDeletedSchedulingGates(Arr(newSpec, "schedulingGates"), Arr(oldSpec, "schedulingGates"), "spec.schedulingGates", errors);

        if (JsonNode.DeepEquals(newSpec, oldSpec))
        {
            return errors;
        }

        var munged = (JsonObject)newSpec.DeepClone();
        CopyImages(munged, oldSpec, "containers");
        CopyImages(munged, oldSpec, "initContainers");
        CopyField(munged, oldSpec, "activeDeadlineSeconds");
        CopyField(munged, oldSpec, "schedulingGates");
        CopyField(munged, oldSpec, "tolerations");
        if (Long(oldSpec, "terminationGracePeriodSeconds") is < 0 && Long(munged, "terminationGracePeriodSeconds") == 1)
        {
            CopyField(munged, oldSpec, "terminationGracePeriodSeconds");
        }

        if (!JsonNode.DeepEquals(munged, oldSpec))
        {
            errors.Add(FieldError.Forbidden("spec", "pod updates may not change fields other than " + string.Join(",", UpdatablePodSpecFields)
                + "\n" + SpecDiff(oldSpec, munged)));
        }

        return errors;
    }

    /// <summary><c>validatePodMetadataAndSpec</c> without the metadata part: the spec, then the Pod-only container rules.</summary>
    private static List<FieldError> ValidatePodMetadataAndSpec(JsonObject pod)
    {
        var spec = Obj(pod, "spec") ?? [];
        var errors = ValidatePodSpec(spec, "spec");
        ValidateContainersOnlyForPod(Arr(spec, "containers"), "spec.containers", errors);
        ValidateContainersOnlyForPod(Arr(spec, "initContainers"), "spec.initContainers", errors);
        return errors;
    }

    /// <summary><c>ValidatePodSpec</c>.</summary>
    internal static List<FieldError> ValidatePodSpec(JsonObject spec, string path)
    {
        var errors = new List<FieldError>();
        if (spec["terminationGracePeriodSeconds"] is null)
        {
            errors.Add(FieldError.Required(path.Child("terminationGracePeriodSeconds")));
        }

        var gracePeriod = Long(spec, "terminationGracePeriodSeconds");
        // v1 carries hostUsers on the PodSpec; the internal type moves it into PodSecurityContext, where upstream reads it.
        var hostUsers = Bool(spec, "hostUsers") ?? true;
        var volumes = ValidateVolumes(Arr(spec, "volumes"), path.Child("volumes"), errors);
        ValidateContainers(Arr(spec, "containers"), volumes, gracePeriod, hostUsers, path.Child("containers"), errors);
        ValidateInitContainers(Arr(spec, "initContainers"), Arr(spec, "containers"), volumes, gracePeriod, hostUsers, path.Child("initContainers"), errors);
        ValidatePodHostNetworkDeps(spec, path, errors);
        ValidateRestartPolicy(Str(spec, "restartPolicy") ?? "", path.Child("restartPolicy"), errors);
        ValidateDnsPolicy(Str(spec, "dnsPolicy") ?? "", path.Child("dnsPolicy"), errors);
        ValidatePodSpecSecurityContext(spec, path.Child("securityContext"), errors);
        ValidatePodDnsConfig(Obj(spec, "dnsConfig"), Str(spec, "dnsPolicy"), path.Child("dnsConfig"), errors);
        ValidateHostUsers(spec, path, errors);

        foreach (var field in new[] { "serviceAccountName", "nodeName" })
        {
            if (Str(spec, field) is { Length: > 0 } name)
            {
                errors.AddRange(IsDns1123Subdomain(name).Select(m => FieldError.Invalid(path.Child(field), name, m)));
            }
        }

        if (Long(spec, "activeDeadlineSeconds") is { } deadline && deadline is < 1 or > int.MaxValue)
        {
            errors.Add(FieldError.Invalid(path.Child("activeDeadlineSeconds"), deadline, InclusiveRangeError(1, int.MaxValue)));
        }

        foreach (var field in new[] { "hostname", "subdomain" })
        {
            if (Str(spec, field) is { Length: > 0 } label)
            {
                errors.AddRange(ValidateDns1123Label(label, path.Child(field)));
            }
        }

        ValidateTolerations(Arr(spec, "tolerations"), path.Child("tolerations"), errors);
        ValidateHostAliases(Arr(spec, "hostAliases"), path.Child("hostAliases"), errors);
        if (Str(spec, "priorityClassName") is { Length: > 0 } priorityClass)
        {
            errors.AddRange(IsDns1123Subdomain(priorityClass).Select(m => FieldError.Invalid(path.Child("priorityClassName"), priorityClass, m)));
        }

        if (spec["runtimeClassName"] is not null)
        {
            var runtimeClass = Str(spec, "runtimeClassName") ?? "";
            errors.AddRange(IsDns1123Subdomain(runtimeClass).Select(m => FieldError.Invalid(path.Child("runtimeClassName"), runtimeClass, m)));
        }

        if (spec["preemptionPolicy"] is not null)
        {
            ValidateEnum(Str(spec, "preemptionPolicy") ?? "", path.Child("preemptionPolicy"), ["PreemptLowerPriority", "Never"], errors);
        }

        if (Obj(spec, "overhead") is { } overhead)
        {
            ValidateContainerResourceRequirements(new JsonObject { ["limits"] = overhead.DeepClone() }, path.Child("overhead"), errors);
        }

        if (Obj(spec, "os") is { } os)
        {
            var osName = Str(os, "name") ?? "";
            if (osName.Length == 0)
            {
                errors.Add(FieldError.Required(path.Child("os").Child("name"), "cannot be empty"));
            }
            else if (osName is not ("linux" or "windows"))
            {
                errors.Add(FieldError.NotSupported(path.Child("os"), osName, ["linux", "windows"]));
            }
        }

        return errors;
    }

    /// <summary><c>validateRestartPolicy</c>.</summary>
    private static void ValidateRestartPolicy(string policy, string path, List<FieldError> errors) =>
        ValidateEnum(policy, path, ["Always", "OnFailure", "Never"], errors);

    /// <summary><c>validateDNSPolicy</c>.</summary>
    private static void ValidateDnsPolicy(string policy, string path, List<FieldError> errors) =>
        ValidateEnum(policy, path, ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"], errors);

    /// <summary>An enumerated field: Required when empty, NotSupported (listing the values) when unknown.</summary>
    private static void ValidateEnum(string value, string path, string[] supported, List<FieldError> errors)
    {
        if (value.Length == 0)
        {
            errors.Add(FieldError.Required(path));
        }
        else if (!supported.Contains(value, StringComparer.Ordinal))
        {
            errors.Add(FieldError.NotSupported(path, value, supported));
        }
    }

    /// <summary>Upstream's limits on a Pod's resolver configuration (from Linux libc).</summary>
    public const int MaxDnsNameservers = 3;

    public const int MaxDnsSearchPaths = 32;

    public const int MaxDnsSearchListChars = 2048;

    /// <summary>
    /// <c>validatePodDNSConfig</c>: with <c>dnsPolicy: None</c> a dnsConfig with at least one nameserver is required; at
    /// most 3 nameservers, each an IP address; at most 32 search domains, 2048 characters in all, each a DNS subdomain
    /// (a trailing dot allowed); every option named.
    /// </summary>
    internal static void ValidatePodDnsConfig(JsonObject? dnsConfig, string? dnsPolicy, string path, List<FieldError> errors)
    {
        if (dnsPolicy == "None")
        {
            if (dnsConfig is null)
            {
                errors.Add(FieldError.Required(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
                return;
            }

            if (Arr(dnsConfig, "nameservers").Count == 0)
            {
                errors.Add(FieldError.Required(path.Child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"));
                return;
            }
        }

        if (dnsConfig is null)
        {
            return;
        }

        var nameservers = Strings(dnsConfig, "nameservers");
        if (nameservers.Count > MaxDnsNameservers)
        {
            errors.Add(FieldError.InvalidFormatted(path.Child("nameservers"), FieldError.GoStringList(nameservers),
                $"must not have more than {MaxDnsNameservers} nameservers"));
        }

        for (var i = 0; i < nameservers.Count; i++)
        {
            if (!IsValidIp(nameservers[i]))
            {
                errors.Add(FieldError.Invalid(path.Child("nameservers").Index(i), nameservers[i], InvalidIpMessage));
            }
        }

        var searches = Strings(dnsConfig, "searches");
        if (searches.Count > MaxDnsSearchPaths)
        {
            errors.Add(FieldError.InvalidFormatted(path.Child("searches"), FieldError.GoStringList(searches),
                $"must not have more than {MaxDnsSearchPaths} search paths"));
        }

        if (string.Join(' ', searches).Length > MaxDnsSearchListChars)
        {
            errors.Add(FieldError.InvalidFormatted(path.Child("searches"), FieldError.GoStringList(searches),
                $"must not have more than {MaxDnsSearchListChars} characters (including spaces) in the search list"));
        }

        for (var i = 0; i < searches.Count; i++)
        {
            var search = searches[i].EndsWith('.') ? searches[i][..^1] : searches[i];
            errors.AddRange(IsDns1123Subdomain(search).Select(m => FieldError.Invalid(path.Child("searches").Index(i), search, m)));
        }

        var options = Arr(dnsConfig, "options");
        for (var i = 0; i < options.Count; i++)
        {
            if (Str(options[i], "name") is null or "")
            {
                errors.Add(FieldError.Required(path.Child("options").Index(i), "must not be empty"));
            }
        }
    }

    /// <summary><c>ValidateHostAliases</c>: each an IP address and DNS subdomain host names.</summary>
    private static void ValidateHostAliases(JsonArray aliases, string path, List<FieldError> errors)
    {
        for (var i = 0; i < aliases.Count; i++)
        {
            var ip = Str(aliases[i], "ip") ?? "";
            if (!IsValidIp(ip))
            {
                errors.Add(FieldError.Invalid(path.Index(i).Child("ip"), ip, InvalidIpMessage));
            }

            var hostnames = Strings(aliases[i], "hostnames");
            for (var j = 0; j < hostnames.Count; j++)
            {
                var hostPath = path.Index(i).Child("hostnames").Index(j);
                errors.AddRange(IsDns1123Subdomain(hostnames[j]).Select(m => FieldError.Invalid(hostPath, hostnames[j], m)));
            }
        }
    }

    /// <summary>
    /// <c>validateHostUsers</c> (pkg/apis/core/validation/validation.go, called from <c>ValidatePodSpec</c> after
    /// <c>validateWindowsHostProcessPod</c>): with <c>hostUsers: false</c> the Pod may not share the node's network, PID
    /// or IPC namespace. The field names in the paths are upstream's own ("HostPID", "HostIPC").
    /// </summary>
    private static void ValidateHostUsers(JsonObject spec, string path, List<FieldError> errors)
    {
        if (Bool(spec, "hostUsers") != false)
        {
            return;
        }

        foreach (var (field, name) in new[] { ("hostNetwork", "hostNetwork"), ("hostPID", "HostPID"), ("hostIPC", "HostIPC") })
        {
            if (Bool(spec, field) == true)
            {
                errors.Add(FieldError.Forbidden(path.Child(name), "when `pod.Spec.HostUsers` is false"));
            }
        }
    }

    /// <summary><c>validatePodHostNetworkDeps</c>: with hostNetwork, every hostPort equals its containerPort.</summary>
    private static void ValidatePodHostNetworkDeps(JsonObject spec, string path, List<FieldError> errors)
    {
        if (Bool(spec, "hostNetwork") != true)
        {
            return;
        }

        var containers = Arr(spec, "containers");
        for (var i = 0; i < containers.Count; i++)
        {
            var ports = Arr(containers[i], "ports");
            for (var j = 0; j < ports.Count; j++)
            {
                var hostPort = Long(ports[j], "hostPort") ?? 0;
                if (hostPort != (Long(ports[j], "containerPort") ?? 0))
                {
                    errors.Add(FieldError.Invalid(path.Child("containers").Index(i).Child("ports").Index(j).Child("hostPort"), hostPort,
                        "must match `containerPort` when `hostNetwork` is true"));
                }
            }
        }
    }

    /// <summary><c>ValidateTolerations</c>.</summary>
    private static void ValidateTolerations(JsonArray tolerations, string path, List<FieldError> errors)
    {
        for (var i = 0; i < tolerations.Count; i++)
        {
            var index = path.Index(i);
            var key = Str(tolerations[i], "key") ?? "";
            var op = Str(tolerations[i], "operator") ?? "";
            var value = Str(tolerations[i], "value") ?? "";
            var effect = Str(tolerations[i], "effect") ?? "";
            if (key.Length > 0)
            {
                errors.AddRange(IsQualifiedName(key).Select(m => FieldError.Invalid(index.Child("key"), key, m)));
            }

            if (key.Length == 0 && op != "Exists")
            {
                errors.Add(FieldError.Invalid(index.Child("operator"), op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }

            if (tolerations[i]?["tolerationSeconds"] is not null && effect != "NoExecute")
            {
                errors.Add(FieldError.Invalid(index.Child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }

            switch (op)
            {
                case "Equal" or "":
                    if (IsValidLabelValue(value) is { Count: > 0 } messages)
                    {
                        errors.Add(FieldError.Invalid(index.Child("operator"), value, string.Join(";", messages)));
                    }

                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        errors.Add(FieldError.Invalid(index.Child("operator"), value, "value must be empty when `operator` is 'Exists'"));
                    }

                    break;
                default:
                    errors.Add(FieldError.NotSupported(index.Child("operator"), op, ["Equal", "Exists"]));
                    break;
            }

            if (effect.Length > 0 && effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                errors.Add(FieldError.NotSupported(index.Child("effect"), effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]));
            }
        }
    }

    /// <summary><c>validateOnlyAddedTolerations</c>: every old toleration is still there (its tolerationSeconds may change).</summary>
    private static void ValidateOnlyAddedTolerations(JsonArray next, JsonArray old, string path, List<FieldError> errors)
    {
        foreach (var previous in old.OfType<JsonObject>())
        {
            var found = next.OfType<JsonObject>().Any(candidate =>
            {
                var a = (JsonObject)previous.DeepClone();
                var b = (JsonObject)candidate.DeepClone();
                a.Remove("tolerationSeconds");
                b.Remove("tolerationSeconds");
                return JsonNode.DeepEquals(a, b);
            });
            if (!found)
            {
                errors.Add(FieldError.Forbidden(path, "existing toleration can not be modified except its tolerationSeconds"));
                return;
            }
        }
    }

    /// <summary><c>validateOnlyDeletedSchedulingGates</c>.</summary>
    private static void ValidateOnlyDeletedSchedulingGates(JsonArray next, JsonArray old, string path, List<FieldError> errors)
    {
        var oldNames = old.Select(g => Str(g, "name")).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < next.Count; i++)
        {
            var name = Str(next[i], "name") ?? "";
            if (!oldNames.Contains(name))
            {
                errors.Add(FieldError.Forbidden(path.Index(i).Child("name"), $"only deletion is allowed, but found new scheduling gate '{name}'"));
            }
        }
    }

    /// <summary>
    /// <c>ValidateContainerUpdates</c>: the same number of containers, each with an image. True when validation must
    /// stop (containers added or removed).
    /// </summary>
    private static bool ValidateContainerUpdates(JsonArray next, JsonArray old, string path, List<FieldError> errors)
    {
        if (next.Count != old.Count)
        {
            errors.Add(FieldError.Forbidden(path, "pod updates may not add or remove containers"));
            return true;
        }

        for (var i = 0; i < next.Count; i++)
        {
            var image = Str(next[i], "image") ?? "";
            if (image.Length == 0)
            {
                errors.Add(FieldError.Required(path.Index(i).Child("image")));
            }

            if (image.Trim().Length != image.Length)
            {
                errors.Add(FieldError.Invalid(path.Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
            }
        }

        return false;
    }

    /// <summary><c>validateContainersOnlyForPod</c>: images without surrounding white space.</summary>
    private static void ValidateContainersOnlyForPod(JsonArray containers, string path, List<FieldError> errors)
    {
        for (var i = 0; i < containers.Count; i++)
        {
            var image = Str(containers[i], "image") ?? "";
            if (image.Trim().Length != image.Length)
            {
                errors.Add(FieldError.Invalid(path.Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
            }
        }
    }

    private static void CopyImages(JsonObject munged, JsonObject oldSpec, string listName)
    {
        var next = Arr(munged, listName);
        var old = Arr(oldSpec, listName);
        for (var i = 0; i < next.Count && i < old.Count; i++)
        {
            if (next[i] is JsonObject container)
            {
                container["image"] = old[i]?["image"]?.DeepClone();
            }
        }
    }

    private static void CopyField(JsonObject target, JsonObject source, string field)
    {
        if (source[field] is { } value)
        {
            target[field] = value.DeepClone();
        }
        else
        {
            target.Remove(field);
        }
    }

    /// <summary>
    /// The part of the message after the list of updatable fields. Upstream prints a <c>cmp.Diff</c> of the internal
    /// PodSpec; the emulator names the changed spec fields with the old and new JSON instead.
    /// </summary>
    private static string SpecDiff(JsonObject old, JsonObject next)
    {
        var keys = old.Select(p => p.Key).Union(next.Select(p => p.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var lines = keys
            .Where(k => !JsonNode.DeepEquals(old[k], next[k]))
            .Select(k => $"  {k}: -{old[k]?.ToJsonString() ?? "null"} +{next[k]?.ToJsonString() ?? "null"}");
        return string.Join("\n", lines);
    }

    /// <summary>
    /// A quantity the JSON decoder cannot read makes the whole object undecodable: kube-apiserver answers 400 before any
    /// validation runs.
    /// </summary>
    private static void RequireDecodableQuantities(JsonObject pod)
    {
        var spec = Obj(pod, "spec") ?? [];
        var quantities = new List<JsonNode?>();
        foreach (var listName in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            foreach (var container in Arr(spec, listName))
            {
                foreach (var part in new[] { "limits", "requests" })
                {
                    quantities.AddRange((Obj(Obj(container, "resources"), part) ?? []).Select(p => p.Value));
                }
            }
        }

        quantities.AddRange((Obj(spec, "overhead") ?? []).Select(p => p.Value));
        quantities.AddRange(Arr(spec, "volumes").Select(v => v?["emptyDir"]?["sizeLimit"]).Where(q => q is not null));
        foreach (var node in quantities)
        {
            if (QuantityText(node) is not { } text || ParseQuantity(text) is null)
            {
                throw new ApiStatusException(400, "BadRequest",
                    $"Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '{QuantityFormat}'");
            }
        }
    }

    private static IEnumerable<FieldError> ValidateDns1123Label(string value, string path) =>
        IsDns1123Label(value).Select(m => FieldError.Invalid(path, value, m));

    /// <summary><c>IsValidLabelValue</c>.</summary>
    private static List<string> IsValidLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add(MaxLenError(63));
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(RegexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", "MyValue", "my_value", "12345"));
        }

        return errors;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex LabelValue();

    // JSON access that tolerates absent fields and fields of the wrong type (the decoder would refuse those; the
    // emulator reads them as absent).
    internal static JsonObject? Obj(JsonNode? node, string key) => (node as JsonObject)?[key] as JsonObject;

    internal static JsonArray Arr(JsonNode? node, string key) => (node as JsonObject)?[key] as JsonArray ?? [];

    internal static string? Str(JsonNode? node, string key) =>
        (node as JsonObject)?[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    internal static long? Long(JsonNode? node, string key) => AsLong((node as JsonObject)?[key]);

    /// <summary>A JSON number as an integer (fractions cut), whatever CLR type backs the node; null for anything else.</summary>
    internal static long? AsLong(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? (long)Math.Clamp(decimal.Truncate(number), long.MinValue, long.MaxValue)
            : null;

    internal static bool? Bool(JsonNode? node, string key) =>
        (node as JsonObject)?[key] is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.GetValue<bool>() : null;

    internal static List<string> Strings(JsonNode? node, string key) =>
        [.. Arr(node, key).Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : n?.ToJsonString() ?? "")];

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static decimal Value(ResourceQuantity quantity) => quantity.ToDecimal();
}
