using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>RuntimeClass</c> admission plugin (<c>plugin/pkg/admission/runtimeclass/admission.go</c>). <c>Admit</c>:
/// an unknown <c>runtimeClassName</c> is 403 <c>pod rejected: RuntimeClass "x" not found</c>; the class's
/// <c>overhead.podFixed</c> becomes <c>spec.overhead</c> (<c>setOverhead</c>; a pod carrying a different overhead is
/// refused); its <c>scheduling.nodeSelector</c> is merged into the pod's (a conflicting value is refused) and its
/// tolerations are added (<c>setScheduling</c>). <c>Validate</c> (<c>validateOverhead</c>): the pod's overhead must
/// equal the class's, and a pod without such a class must not set one.
/// </summary>
internal sealed class RuntimeClassAdmission(ResourceRegistry registry, ObjectStore store) : IAdmissionPlugin
{
    private const string OverheadMismatch = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

    public string Name => AdmissionPlugins.RuntimeClass;

    public void Admit(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec || Lookup(request, spec) is not { } runtimeClass)
        {
            return;
        }

        if (runtimeClass["overhead"]?["podFixed"] is JsonObject podFixed)
        {
            if (spec["overhead"] is JsonObject overhead && !SameResources(overhead, podFixed))
            {
                throw request.Forbidden(OverheadMismatch);
            }

            spec["overhead"] = podFixed.DeepClone();
        }

        if (runtimeClass["scheduling"] is not JsonObject scheduling)
        {
            return;
        }

        if (scheduling["nodeSelector"] is JsonObject { Count: > 0 } classSelector)
        {
            if (spec["nodeSelector"] is not JsonObject nodeSelector)
            {
                nodeSelector = [];
                spec["nodeSelector"] = nodeSelector;
            }

            foreach (var (key, value) in classSelector)
            {
                var wanted = value?.GetValue<string>() ?? "";
                if (ObjectMeta.GetString(nodeSelector, key) is { } existing && existing != wanted)
                {
                    throw request.Forbidden($"conflict: runtimeClass.scheduling.nodeSelector[{key}] = {wanted}; pod.spec.nodeSelector[{key}] = {existing}");
                }

                nodeSelector[key] = wanted;
            }
        }

        if (scheduling["tolerations"] is JsonArray { Count: > 0 } classTolerations)
        {
            if (spec["tolerations"] is not JsonArray tolerations)
            {
                tolerations = [];
                spec["tolerations"] = tolerations;
            }

            // tolerations.MergeTolerations: the union, without repeating an equal toleration.
            foreach (var toleration in classTolerations)
            {
                if (!tolerations.Any(t => JsonNode.DeepEquals(t, toleration)))
                {
                    tolerations.Add(toleration?.DeepClone());
                }
            }
        }
    }

    public void Validate(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec)
        {
            return;
        }

        var runtimeClass = Lookup(request, spec);
        if (runtimeClass?["overhead"]?["podFixed"] is JsonObject podFixed)
        {
            if (spec["overhead"] is not JsonObject overhead || !SameResources(overhead, podFixed))
            {
                throw request.Forbidden(OverheadMismatch);
            }
        }
        else if (spec["overhead"] is not null)
        {
            throw request.Forbidden("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead");
        }
    }

    private JsonObject? Lookup(AdmissionRequest request, JsonObject spec)
    {
        if (ObjectMeta.GetString(spec, "runtimeClassName") is not { Length: > 0 } name)
        {
            return null;
        }

        var classes = registry.Find("node.k8s.io", "v1", "runtimeclasses")!;
        return store.Get(classes.StorageKey, "", name)?.Object
            ?? throw request.Forbidden($"pod rejected: RuntimeClass \"{name}\" not found");
    }

    /// <summary><c>apiequality.Semantic.DeepEqual</c> of two resource lists: same names, equal quantities.</summary>
    private static bool SameResources(JsonObject left, JsonObject right)
    {
        var a = ResourceList.From(left);
        var b = ResourceList.From(right);
        return a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var q) && q.Value == p.Value.Value);
    }
}
