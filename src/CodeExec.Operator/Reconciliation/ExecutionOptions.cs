namespace CodeExec.Operator.Reconciliation;

/// <summary>How the operator paces executions (configuration section <c>Operator:Executions</c>).</summary>
internal sealed class ExecutionOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Executions";

    /// <summary>
    /// Most sandbox Pods one namespace may have running or starting at once; further executions wait in phase Queued,
    /// so one tenant cannot take every sandbox slot of the cluster. 0 means no limit. A Namespace's annotation
    /// <c>codeexec.dev/max-active-executions</c> can lower it for that namespace (<see cref="NamespaceLimits"/>).
    /// </summary>
    public int MaxActivePerNamespace { get; set; } = 10;

    /// <summary>
    /// Most CPU (a quantity: <c>4</c>, <c>2500m</c>) the active sandbox Pods of one namespace may have as limits,
    /// added up (the containers' limits of each rendered Pod, without the RuntimeClass overhead). Empty means no limit.
    /// Annotation <c>codeexec.dev/max-cpu</c> can lower it per namespace.
    /// </summary>
    public string? MaxCpuPerNamespace { get; set; }

    /// <summary>
    /// Most memory (a quantity: <c>8Gi</c>) the active sandbox Pods of one namespace may have as limits, added up as
    /// <see cref="MaxCpuPerNamespace"/>. Empty means no limit. Annotation <c>codeexec.dev/max-memory</c> can lower it.
    /// </summary>
    public string? MaxMemoryPerNamespace { get; set; }

    /// <summary>
    /// Create, in each namespace where the operator first starts a sandbox, the ResourceQuota <c>codeexec-sandbox</c>
    /// scoped to the sandbox PriorityClass, with the namespace's limits plus the RuntimeClass overhead per Pod
    /// (<see cref="SandboxQuota"/>): the API server's hard cap behind the queue. Never updated once it exists.
    /// </summary>
    public bool ManageSandboxQuota { get; set; } = true;

    /// <summary>
    /// Whether a Namespace's <c>codeexec.dev/max-*</c> annotations may raise its limits above the defaults above (or lift
    /// them: 0 or empty). Off by default: an annotation can then only lower a limit, so whoever may annotate or create
    /// Namespaces (a self-service namespace tool, a tenant owner in Capsule or HNC) cannot lift the operator's limits.
    /// </summary>
    public bool NamespaceAnnotationsMayRaise { get; set; }

    /// <summary>
    /// How often a Queued execution looks again for a free slot: a safety net only. A waiting execution is woken when a
    /// sandbox Pod of its namespace changes or goes, when an execution of its namespace starts or ends, and when its
    /// Namespace's limits change; each check reads only the operator's caches.
    /// </summary>
    public TimeSpan QueuedRecheckInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time past its timeout after which the operator ends a still-running execution itself (TimedOut), should the
    /// kubelet fail to enforce activeDeadlineSeconds.
    /// </summary>
    public TimeSpan DeadlineGrace { get; set; } = TimeSpan.FromSeconds(30);
}
