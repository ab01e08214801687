using System.Text.Json.Nodes;
using static CodeExec.Testing.Emulator.Validation.PodFieldRules;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>Resource rules of Pod validation (<c>ValidateContainerResourceRequirements</c> and the resource name rules).</summary>
internal static partial class PodValidation
{
    private static readonly HashSet<string> StandardContainerResources = new(["cpu", "memory", "ephemeral-storage"], StringComparer.Ordinal);

    /// <summary>The unprefixed names <c>IsStandardResourceName</c> accepts (apart from hugepages).</summary>
    private static readonly HashSet<string> StandardResources = new(
    [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
        "configmaps", "persistentvolumeclaims", "requests.storage", "services.nodeports", "services.loadbalancers", "storage",
    ], StringComparer.Ordinal);

    /// <summary>
    /// <c>ValidateContainerResourceRequirements</c>: valid resource names, non-negative quantities (whole numbers for
    /// extended resources), each request at most its limit, extended resources with a limit equal to the request,
    /// hugepages only together with cpu or memory. The resource keys go into the path as <c>limits[cpu]</c>.
    /// </summary>
    private static void ValidateContainerResourceRequirements(JsonObject resources, string path, List<FieldError> errors)
    {
        var limitsPath = path.Child("limits");
        var requestsPath = path.Child("requests");
        var limits = Obj(resources, "limits") ?? [];
        var requests = Obj(resources, "requests") ?? [];
        bool limitsCpuOrMemory = false, requestsCpuOrMemory = false, hugePages = false;
        foreach (var (name, node) in limits)
        {
            var fieldPath = limitsPath.Key(name);
            ValidateContainerResourceName(name, fieldPath, errors);
            var quantity = ParsedQuantity(node);
            ValidateResourceQuantityValue(name, quantity, fieldPath, errors);
            hugePages |= IsHugePages(name);
            limitsCpuOrMemory |= name is "cpu" or "memory";
        }

        foreach (var (name, node) in requests)
        {
            var fieldPath = requestsPath.Key(name);
            ValidateContainerResourceName(name, fieldPath, errors);
            var quantity = ParsedQuantity(node);
            ValidateResourceQuantityValue(name, quantity, fieldPath, errors);
            if (limits[name] is { } limitNode)
            {
                var limit = ParsedQuantity(limitNode);
                var request = Value(quantity);
                if (request != Value(limit) && !IsOvercommitAllowed(name))
                {
                    errors.Add(FieldError.Invalid(requestsPath, Canonical(quantity), $"must be equal to {name} limit of {Canonical(limit)}"));
                }
                else if (request > Value(limit))
                {
                    errors.Add(FieldError.Invalid(requestsPath, Canonical(quantity), $"must be less than or equal to {name} limit of {Canonical(limit)}"));
                }
            }
            else if (!IsOvercommitAllowed(name))
            {
                errors.Add(FieldError.Required(limitsPath, "Limit must be set for non overcommitable resources"));
            }

            hugePages |= IsHugePages(name);
            requestsCpuOrMemory |= name is "cpu" or "memory";
        }

        if (!limitsCpuOrMemory && !requestsCpuOrMemory && hugePages)
        {
            errors.Add(FieldError.Forbidden(path, "HugePages require cpu or memory"));
        }
    }

    /// <summary><c>ValidateResourceQuantityValue</c>: not negative; a whole number for integer resources.</summary>
    private static void ValidateResourceQuantityValue(string name, k8s.Models.ResourceQuantity quantity, string path, List<FieldError> errors)
    {
        var value = Value(quantity);
        if (value < 0)
        {
            errors.Add(FieldError.Invalid(path, Canonical(quantity), NegativeMessage));
        }

        if (IsExtendedResourceName(name) && decimal.Truncate(value) != value)
        {
            errors.Add(FieldError.Invalid(path, Canonical(quantity), "must be an integer"));
        }
    }

    /// <summary>
    /// <c>validateContainerResourceName</c> over <c>validateResourceName</c>: a qualified name; unprefixed names must be
    /// standard (and cpu, memory, ephemeral-storage or hugepages-* in a container); prefixed ones outside
    /// kubernetes.io must follow the extended resource rules. The name is printed bare, as a Go Stringer.
    /// </summary>
    private static void ValidateContainerResourceName(string name, string path, List<FieldError> errors)
    {
        var qualified = IsQualifiedName(name);
        if (qualified.Count > 0)
        {
            errors.AddRange(qualified.Select(m => FieldError.InvalidFormatted(path, name, m)));
        }
        else if (!name.Contains('/', StringComparison.Ordinal) && !StandardResources.Contains(name) && !IsHugePages(name))
        {
            errors.Add(FieldError.InvalidFormatted(path, name, "must be a standard resource type or fully qualified"));
        }

        if (!name.Contains('/', StringComparison.Ordinal))
        {
            if (!StandardContainerResources.Contains(name) && !IsHugePages(name))
            {
                errors.Add(FieldError.InvalidFormatted(path, name, "must be a standard resource for containers"));
            }
        }
        else if (!IsNativeResource(name) && !IsExtendedResourceName(name))
        {
            errors.Add(FieldError.InvalidFormatted(path, name, "doesn't follow extended resource name standard"));
        }
    }

    private static bool IsHugePages(string name) => name.StartsWith("hugepages-", StringComparison.Ordinal);

    /// <summary><c>IsNativeResource</c>: unprefixed, or in the kubernetes.io domain.</summary>
    private static bool IsNativeResource(string name) =>
        !name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal);

    /// <summary><c>IsExtendedResourceName</c>.</summary>
    private static bool IsExtendedResourceName(string name) =>
        !IsNativeResource(name) && !name.StartsWith("requests.", StringComparison.Ordinal) && IsQualifiedName("requests." + name).Count == 0;

    /// <summary><c>IsOvercommitAllowed</c>: native resources other than hugepages.</summary>
    private static bool IsOvercommitAllowed(string name) => IsNativeResource(name) && !IsHugePages(name);

    /// <summary>
    /// A quantity as Go's <c>Quantity.String</c> prints it (canonical form). KubernetesClient canonicalizes negative
    /// quantities wrongly, so the sign is handled here.
    /// </summary>
    private static string Canonical(k8s.Models.ResourceQuantity quantity)
    {
        var value = Value(quantity);
        if (value >= 0)
        {
            return quantity.ToString();
        }

        return "-" + new k8s.Models.ResourceQuantity(-value, 0, quantity.Format);
    }

    /// <summary>A quantity already known to decode (<see cref="RequireDecodableQuantities"/> ran first).</summary>
    private static k8s.Models.ResourceQuantity ParsedQuantity(JsonNode? node) =>
        ParseQuantity(QuantityText(node) ?? "0") ?? new k8s.Models.ResourceQuantity("0");
}
