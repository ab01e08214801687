using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// Decides whether an object that already has a child's name is this execution's child. Anyone who may create the kind
/// can copy an ownerReference, so ownership alone proves nothing: the object must also be what the operator renders
/// (the NetworkPolicy's spec exactly; the code object's data exactly, immutable; the Pod's spec containing everything
/// rendered, with no container, volume or other list entry added). Such an object isolates and runs exactly what the
/// operator would have created, so using it is safe whoever made it.
/// </summary>
internal static class ChildOwnership
{
    /// <summary>True when <paramref name="metadata"/> has a controller ownerReference with UID <paramref name="ownerUid"/>.</summary>
    public static bool IsControlledBy(V1ObjectMeta? metadata, string? ownerUid) =>
        !string.IsNullOrEmpty(ownerUid)
        && metadata?.OwnerReferences?.Any(o => o.Controller == true && string.Equals(o.Uid, ownerUid, StringComparison.Ordinal)) == true;

    /// <summary>
    /// Null when <paramref name="existing"/> is this execution's <paramref name="desired"/> child; otherwise why not, as
    /// a phrase ("it is not controlled by this execution", ...).
    /// </summary>
    public static string? WhyNotOurs(IKubernetesObject<V1ObjectMeta> desired, IKubernetesObject<V1ObjectMeta> existing, string? executionUid)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(existing);
        if (!IsControlledBy(existing.Metadata, executionUid))
        {
            return "it has no controller ownerReference to this execution";
        }

        var want = JsonNode.Parse(KubernetesJson.Serialize(desired))!.AsObject();
        var have = JsonNode.Parse(KubernetesJson.Serialize(existing))!.AsObject();
        return desired switch
        {
            V1NetworkPolicy => Same(want["spec"], have["spec"]) ? null : "its spec is not the policy this execution renders",
            V1ConfigMap or V1Secret => Same(want["data"], have["data"]) && Same(want["binaryData"], have["binaryData"])
                                       && Same(want["type"], have["type"]) && have["immutable"]?.GetValue<bool>() == true
                ? null
                : "its data is not this execution's code",
            V1Pod => Contains(have["spec"], want["spec"]) ? null : "its spec is not the sandbox this execution renders",
            _ => "it is of an unexpected kind",
        };
    }

    /// <summary>Equal after dropping nulls and empty lists and objects (the API server omits empty fields).</summary>
    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    /// <summary>
    /// True when <paramref name="whole"/> has every field of <paramref name="part"/> with the same value; lists must have
    /// the same length, element by element. Fields the API server adds (defaults) may be present.
    /// </summary>
    public static bool Contains(JsonNode? whole, JsonNode? part)
    {
        part = Normalize(part);
        whole = Normalize(whole);
        return part switch
        {
            null => true,
            JsonObject partObject => whole is JsonObject wholeObject
                && partObject.All(p => Contains(wholeObject[p.Key], p.Value)),
            JsonArray partArray => whole is JsonArray wholeArray && wholeArray.Count == partArray.Count
                && partArray.Select((item, i) => Contains(wholeArray[i], item)).All(ok => ok),
            _ => JsonNode.DeepEquals(whole, part),
        };
    }

    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (Normalize(value) is { } kept)
                    {
                        copy[key] = kept;
                    }
                }

                return copy.Count == 0 ? null : copy;
            case JsonArray a:
                var items = new JsonArray();
                foreach (var item in a)
                {
                    items.Add(Normalize(item) ?? new JsonObject());
                }

                return items.Count == 0 ? null : items;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }
}
