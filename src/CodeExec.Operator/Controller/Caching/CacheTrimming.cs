using CodeExec.Api;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller.Caching;

/// <summary>
/// Removes from watched objects what no reconcile reads, before they are cached, so the cache's memory tracks the
/// number of objects and not their size. Each function changes the object in place (the watcher owns it).
/// </summary>
public static class CacheTrimming
{
    /// <summary>The annotation kubectl apply writes: a second full copy of the object as the user applied it.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>Drops <c>managedFields</c> and kubectl's last-applied annotation, which any kind may carry.</summary>
    public static void TrimMetadata(IMetadata<V1ObjectMeta> entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var metadata = entity.Metadata;
        if (metadata is null)
        {
            return;
        }

        metadata.ManagedFields = null;
        if (metadata.Annotations is { } annotations && annotations.Remove(LastAppliedAnnotation) && annotations.Count == 0)
        {
            metadata.Annotations = null;
        }
    }

    /// <summary>
    /// Trims a CodeExecution: the metadata as <see cref="TrimMetadata"/>, and the outputs in status (up to 256 KiB
    /// per stream each). What remains of the status (phase, exit code, byte counts, truncation flags) stays. Once the
    /// execution is finished (<see cref="ExecutionPhase.IsFinal"/>), the spec's payload goes too: <c>code</c>,
    /// <c>stdin</c>, <c>args</c>, <c>env</c> and <c>files</c> (together up to about 1 MiB, the object's size limit),
    /// which only admission and rendering read, never the clean-up and TTL of a finished execution. The spec keeps
    /// <c>runtime</c>, <c>codeFrom</c> (the kind of code object to delete), <c>network</c> (the NetworkPolicy's name),
    /// <c>limits</c> and <c>ttlSecondsAfterFinished</c>.
    /// </summary>
    public static void TrimCodeExecution(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        TrimMetadata(execution);
        if (execution.Status is { } status)
        {
            status.Stdout = null;
            status.Stderr = null;
        }

        if (ExecutionPhase.IsFinal(execution.Status?.Phase) && execution.Spec is { } spec)
        {
            spec.Code = null;
            spec.Stdin = null;
            spec.Args = null;
            spec.Env = null;
            spec.Files = null;
        }
    }
}
