using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller.Caching;

/// <summary>
/// Read access to the in-memory copy of one watched kind, kept current by its watch. The objects are trimmed to what
/// reconcile needs (see <see cref="CacheTrimming"/>): fields such as <c>managedFields</c> and, for a CodeExecution,
/// <c>status.stdout</c>/<c>status.stderr</c> are absent, and so is the spec's payload (code, stdin, args, env, files)
/// once it has finished; read the object from the API server when you need them.
/// The returned objects are shared: treat them as read-only.
/// </summary>
/// <typeparam name="TEntity">The watched kind.</typeparam>
public interface IObjectCache<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>True once the first full list has been loaded; before that the cache may miss objects that exist.</summary>
    bool IsSynced { get; }

    /// <summary>How many objects the cache holds.</summary>
    int Count { get; }

    /// <summary>The object named by <paramref name="key"/>, or null if it does not exist (as far as the watch knows).</summary>
    TEntity? Find(ObjectKey key);

    /// <summary>Every cached object, or those of one namespace.</summary>
    IReadOnlyList<TEntity> List(string? namespaceName = null);

    /// <summary>The cached objects whose controller ownerReference points at the object with this UID.</summary>
    IReadOnlyList<TEntity> ListControlledBy(string ownerUid);

    /// <summary>Completes once <see cref="IsSynced"/> is true.</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken);
}
