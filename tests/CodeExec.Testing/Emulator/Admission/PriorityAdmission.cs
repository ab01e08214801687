using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>Priority</c> admission plugin (<c>plugin/pkg/admission/priority/admission.go</c>, <c>admitPod</c>): a pod
/// naming a PriorityClass gets its <c>value</c> as <c>spec.priority</c> and its <c>preemptionPolicy</c> (default
/// <c>PreemptLowerPriority</c>); an unknown name is 403 <c>no PriorityClass with name x was found</c>. A pod naming
/// none gets the <c>globalDefault</c> class (the lowest value if several), or priority 0. A pod that carries its own
/// <c>priority</c> or <c>preemptionPolicy</c> differing from the computed one is refused as upstream words it.
/// </summary>
internal sealed class PriorityAdmission(ResourceRegistry registry, ObjectStore store) : IAdmissionPlugin
{
    public string Name => AdmissionPlugins.Priority;

    public void Admit(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec)
        {
            return;
        }

        var classes = registry.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        var className = ObjectMeta.GetString(spec, "priorityClassName");
        long priority;
        string? preemptionPolicy;
        if (string.IsNullOrEmpty(className))
        {
            var globalDefault = store.List(classes.StorageKey, null).Items
                .Where(c => c.Object["globalDefault"] is JsonValue v && v.TryGetValue<bool>(out var b) && b)
                .OrderBy(c => ObjectMeta.GetLong(c.Object, "value") ?? 0)
                .FirstOrDefault();
            if (globalDefault is null)
            {
                priority = 0;
                preemptionPolicy = null;
            }
            else
            {
                spec["priorityClassName"] = globalDefault.Name;
                priority = ObjectMeta.GetLong(globalDefault.Object, "value") ?? 0;
                preemptionPolicy = ObjectMeta.GetString(globalDefault.Object, "preemptionPolicy") ?? "PreemptLowerPriority";
            }
        }
        else
        {
            var priorityClass = store.Get(classes.StorageKey, "", className)
                ?? throw request.Forbidden($"no PriorityClass with name {className} was found");
            priority = ObjectMeta.GetLong(priorityClass.Object, "value") ?? 0;
            preemptionPolicy = ObjectMeta.GetString(priorityClass.Object, "preemptionPolicy") ?? "PreemptLowerPriority";
        }

        if (ObjectMeta.GetLong(spec, "priority") is { } given && given != priority)
        {
            throw request.Forbidden(
                $"the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        spec["priority"] = priority;
        if (preemptionPolicy is not null)
        {
            if (ObjectMeta.GetString(spec, "preemptionPolicy") is { } givenPolicy && givenPolicy != preemptionPolicy)
            {
                throw request.Forbidden(
                    $"the string value of PreemptionPolicy ({givenPolicy}) must not be provided in pod spec; priority admission controller computed {preemptionPolicy} from the given PriorityClass name");
            }

            spec["preemptionPolicy"] = preemptionPolicy;
        }
    }

    /// <summary>The PriorityClasses kube-apiserver creates at start (<c>pkg/apis/scheduling</c> <c>SystemPriorityClasses</c>).</summary>
    public static IEnumerable<JsonObject> SystemPriorityClasses() =>
    [
        SystemClass("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        SystemClass("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    private static JsonObject SystemClass(string name, long value, string description) => new()
    {
        ["apiVersion"] = "scheduling.k8s.io/v1",
        ["kind"] = "PriorityClass",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["value"] = value,
        ["description"] = description,
        ["preemptionPolicy"] = "PreemptLowerPriority",
    };
}
