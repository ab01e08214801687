using CodeExec.Operator.Controller.Watching;
using k8s.Models;

namespace CodeExec.Operator.Controller.Owners;

/// <summary>Maps a child object (a sandbox Pod, its NetworkPolicy) to the key of the object that controls it.</summary>
public static class OwnerMapping
{
    /// <summary>
    /// The key of <paramref name="child"/>'s controller, when that controller is of <paramref name="ownerType"/>: the
    /// ownerReference with <c>controller: true</c>, the owner's kind and the owner's API group (any version). The owner
    /// is in the child's namespace (owner references cannot cross namespaces), or cluster-scoped. Null otherwise.
    /// </summary>
    public static ObjectKey? ControllerOwnerKey(IMetadata<V1ObjectMeta> child, ResourceType ownerType)
    {
        ArgumentNullException.ThrowIfNull(child);
        ArgumentNullException.ThrowIfNull(ownerType);
        var owner = child.Metadata?.OwnerReferences?.FirstOrDefault(reference => reference.Controller == true);
        if (owner is null || owner.Kind != ownerType.Kind || GroupOf(owner.ApiVersion) != ownerType.Group || string.IsNullOrEmpty(owner.Name))
        {
            return null;
        }

        var childNamespace = child.Metadata!.NamespaceProperty;
        return new ObjectKey(ownerType.Namespaced && !string.IsNullOrEmpty(childNamespace) ? childNamespace : null, owner.Name);
    }

    /// <summary>A controller ownerReference to <paramref name="owner"/>, as a reconciler puts on every child it creates.</summary>
    public static V1OwnerReference ControllerReference(k8s.IKubernetesObject<V1ObjectMeta> owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new V1OwnerReference
        {
            ApiVersion = owner.ApiVersion,
            Kind = owner.Kind,
            Name = owner.Metadata.Name,
            Uid = owner.Metadata.Uid,
            Controller = true,
            BlockOwnerDeletion = true,
        };
    }

    private static string GroupOf(string? apiVersion)
    {
        if (string.IsNullOrEmpty(apiVersion))
        {
            return "";
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : apiVersion[..slash];
    }
}
