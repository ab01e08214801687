using CodeExec.Api;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// Recognises a CodeExecution that a GitOps tool applies and keeps in sync, from the tracking metadata the tool puts on
/// every object it manages. Such an execution is not deleted by the default TTL: the tool would re-create it at its next
/// sync (self-heal), and the code would run again, every TTL, for ever. A TTL the spec sets itself still applies, and an
/// execution Rejected at admission is never kept: nothing ran, so a re-create runs no code (it is rejected again), and
/// anyone who may edit CodeExecutions can put these labels on them, which must not let them pile up past the TTL.
/// </summary>
/// <remarks>
/// Sources: Argo CD's resource tracking (user-guide/resource_tracking: annotation <c>argocd.argoproj.io/tracking-id</c>,
/// the default since Argo CD 3.0; label <c>app.kubernetes.io/instance</c>, the label method and the default before);
/// Flux's kustomize-controller (labels <c>kustomize.toolkit.fluxcd.io/name</c> and <c>/namespace</c>) and helm-controller
/// (<c>helm.toolkit.fluxcd.io/name</c>). The instance label is also set by Helm and other tools; an execution carrying
/// it is kept as well, which errs on the side of keeping a result rather than running code again.
/// </remarks>
internal static class GitOpsTracking
{
    /// <summary>Argo CD's tracking annotation (annotation tracking).</summary>
    public const string ArgoCdTrackingIdAnnotation = "argocd.argoproj.io/tracking-id";

    /// <summary>The instance label Argo CD's label tracking sets (and Helm, among others).</summary>
    public const string InstanceLabel = "app.kubernetes.io/instance";

    /// <summary>Flux kustomize-controller's ownership label.</summary>
    public const string FluxKustomizationLabel = "kustomize.toolkit.fluxcd.io/name";

    /// <summary>Flux helm-controller's ownership label.</summary>
    public const string FluxHelmReleaseLabel = "helm.toolkit.fluxcd.io/name";

    /// <summary>
    /// Which tool's tracking metadata <paramref name="metadata"/> carries, as "the annotation argocd.argoproj.io/tracking-id"
    /// and the like, for logs and events; null when none.
    /// </summary>
    public static string? TrackedBy(V1ObjectMeta? metadata)
    {
        if (metadata?.Annotations?.ContainsKey(ArgoCdTrackingIdAnnotation) == true)
        {
            return "the annotation " + ArgoCdTrackingIdAnnotation + " (Argo CD)";
        }

        var labels = metadata?.Labels;
        return labels is null ? null
            : labels.ContainsKey(FluxKustomizationLabel) ? "the label " + FluxKustomizationLabel + " (Flux)"
            : labels.ContainsKey(FluxHelmReleaseLabel) ? "the label " + FluxHelmReleaseLabel + " (Flux)"
            : labels.ContainsKey(InstanceLabel) ? "the label " + InstanceLabel + " (Argo CD's label tracking, Helm)"
            : null;
    }

    /// <summary>
    /// True when the operator's default TTL must not delete the finished execution: it carries GitOps tracking metadata,
    /// its spec sets no <c>ttlSecondsAfterFinished</c> of its own, and its <paramref name="phase"/> (<c>status.phase</c>)
    /// is not <see cref="ExecutionPhase.Rejected"/> (its code never ran).
    /// </summary>
    public static bool KeepsFinished(V1ObjectMeta? metadata, string? phase, int? specTtlSecondsAfterFinished) =>
        specTtlSecondsAfterFinished is null && phase != ExecutionPhase.Rejected && TrackedBy(metadata) is not null;
}
