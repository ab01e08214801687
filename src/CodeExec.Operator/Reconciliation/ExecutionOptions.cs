namespace CodeExec.Operator.Reconciliation;

/// <summary>How the operator paces executions (configuration section <c>Operator:Executions</c>).</summary>
internal sealed class ExecutionOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Executions";

    /// <summary>
    /// Most sandbox Pods one namespace may have running or starting at once; further executions wait in phase Queued,
    /// so one tenant cannot take every sandbox slot of the cluster. 0 means no limit.
    /// </summary>
    public int MaxActivePerNamespace { get; set; } = 10;

    /// <summary>How often a Queued execution looks again for a free slot (a finishing Pod of its namespace also wakes it).</summary>
    public TimeSpan QueuedRecheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Time past its timeout after which the operator ends a still-running execution itself (TimedOut), should the
    /// kubelet fail to enforce activeDeadlineSeconds.
    /// </summary>
    public TimeSpan DeadlineGrace { get; set; } = TimeSpan.FromSeconds(30);
}
