using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller;

/// <summary>
/// The logic of one controller: makes the world match the desired state of the object named by a key. Level-triggered:
/// it is told only which object to look at, never what changed, so it must read the current state (from
/// <see cref="Caching.IObjectCache{TEntity}"/> or the API server) and be idempotent. A key is never reconciled twice at
/// once; different keys run in parallel up to <c>MaxConcurrentReconciles</c>.
/// </summary>
/// <typeparam name="TEntity">The primary kind the controller is registered for.</typeparam>
public interface IReconciler<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>
    /// Reconciles the object named by <paramref name="key"/>; it may no longer exist (then clean up, or do nothing).
    /// Throwing retries the key with backoff. <paramref name="cancellationToken"/> is cancelled when this replica loses
    /// leadership or the operator shuts down past its grace period: stop at once and write nothing more.
    /// </summary>
    Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken);
}
