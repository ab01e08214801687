using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller;

/// <summary>
/// Identifies one object: its namespace (null for cluster-scoped kinds) and its name. The work queue, the caches and
/// the reconcilers all speak in keys, never in object snapshots, so a reconcile always reads the latest state.
/// </summary>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    /// <summary>The key of an object, from its metadata.</summary>
    public static ObjectKey Of(IMetadata<V1ObjectMeta> entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var metadata = entity.Metadata ?? throw new ArgumentException("the object has no metadata", nameof(entity));
        return new ObjectKey(string.IsNullOrEmpty(metadata.NamespaceProperty) ? null : metadata.NamespaceProperty,
            metadata.Name ?? throw new ArgumentException("the object has no name", nameof(entity)));
    }

    /// <summary><c>namespace/name</c>, or just <c>name</c> for cluster-scoped objects (the form kubectl and logs use).</summary>
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
