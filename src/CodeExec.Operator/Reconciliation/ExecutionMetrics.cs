using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Sandbox;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// The metrics of executions (the controller machinery has its own reconcile and queue metrics), on the meter
/// <see cref="OperatorTelemetry.Name"/>. As OpenTelemetry's Prometheus exporter renders them:
/// <list type="bullet">
/// <item><c>codeexec_executions_started_total{runtime}</c>: sandbox Pods created for admitted executions
/// (<c>codeexec_sandbox_pods_created_total</c> counts the same without a label);</item>
/// <item><c>codeexec_executions_finished_total{runtime,phase,reason}</c>: executions that reached a final phase;</item>
/// <item><c>codeexec_execution_duration_seconds</c> (histogram): the code's run time of finished executions;</item>
/// <item><c>codeexec_execution_stage_duration_seconds{stage}</c> (histogram): from the CodeExecution's creationTimestamp
/// to each stage it reached, recorded once its final status is written: <c>admitted</c> and <c>pod_created</c> (the
/// conditions' lastTransitionTime), <c>scheduled</c> (the Pod's PodScheduled condition), <c>code_started</c> and
/// <c>code_finished</c> (the code container's startedAt and finishedAt, as observed), <c>status_written</c> (the
/// Finished condition). Kubernetes writes these times with second precision;</item>
/// <item><c>codeexec_output_truncated_total{stream}</c>: output streams cut to limits.outputBytes;</item>
/// <item><c>codeexec_executions_queued{namespace}</c>: executions waiting for a free slot of their namespace, as last seen.</item>
/// </list>
/// The runtime label is a CodeRuntime that exists (an administrator's object), else empty, so a user's spec.runtime of
/// a rejected execution never becomes a label value; no label names an execution.
/// </summary>
internal sealed class ExecutionMetrics
{
    /// <summary>The stages of <c>codeexec_execution_stage_duration_seconds</c>, in the order an execution reaches them.</summary>
    public static readonly IReadOnlyList<string> Stages = ["admitted", "pod_created", "scheduled", "code_started", "code_finished", "status_written"];

    private readonly IObjectCache<CodeRuntime> _runtimes;
    private readonly Counter<long> _started;
    private readonly Counter<long> _podsCreated;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _truncated;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _stageDuration;
    private readonly ConcurrentDictionary<string, long> _queued = new(StringComparer.Ordinal);

    public ExecutionMetrics(IMeterFactory meterFactory, IObjectCache<CodeRuntime> runtimes)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _runtimes = runtimes;
        var meter = meterFactory.Create(OperatorTelemetry.Name);
        var seconds = OperatorTelemetry.SecondsAdvice;
        _started = meter.CreateCounter<long>("codeexec.executions.started", "{execution}",
            "Executions whose sandbox Pod was created, by runtime.");
        _podsCreated = meter.CreateCounter<long>("codeexec.sandbox.pods.created", "{pod}", "Sandbox Pods created.");
        _finished = meter.CreateCounter<long>("codeexec.executions.finished", "{execution}",
            "Executions that reached a final phase, by runtime, phase and reason.");
        _truncated = meter.CreateCounter<long>("codeexec.output.truncated", "{stream}",
            "Output streams cut to limits.outputBytes, by stream.");
        _duration = meter.CreateHistogram("codeexec.execution.duration", "s",
            "Run time of the code, from start to end, of finished executions.", advice: seconds);
        _stageDuration = meter.CreateHistogram("codeexec.execution.stage.duration", "s",
            "Time from an execution's creation to each stage it reached, recorded when its final status is written.", advice: seconds);
        meter.CreateObservableGauge("codeexec.executions.queued",
            () => OperatorTelemetry.Observe(_queued, "namespace"),
            "{execution}", "Executions waiting for a free slot of their namespace, as last seen.");
    }

    /// <summary>Counts a sandbox Pod created for an execution of <paramref name="runtime"/>.</summary>
    public void PodCreated(string? runtime)
    {
        _podsCreated.Add(1);
        _started.Add(1, KeyValuePair.Create<string, object?>("runtime", KnownRuntime(runtime)));
    }

    /// <summary>
    /// Records an execution whose final status was just written (<paramref name="execution"/> as the API server returned
    /// it): its phase and reason, run time, truncated streams, and the stages it reached; <paramref name="pod"/> is its
    /// sandbox Pod as last observed, or null when it had none or it was gone.
    /// </summary>
    public void ExecutionFinished(CodeExecution execution, V1Pod? pod)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var status = execution.Status ?? new CodeExecutionStatus();
        _finished.Add(1,
            KeyValuePair.Create<string, object?>("runtime", KnownRuntime(status.Runtime ?? execution.Spec?.Runtime)),
            KeyValuePair.Create<string, object?>("phase", status.Phase ?? ""),
            KeyValuePair.Create<string, object?>("reason", status.Reason ?? ""));
        if (status.DurationMs is { } ms)
        {
            _duration.Record(ms / 1000.0);
        }

        if (status.StdoutTruncated == true)
        {
            _truncated.Add(1, KeyValuePair.Create<string, object?>("stream", "stdout"));
        }

        if (status.StderrTruncated == true)
        {
            _truncated.Add(1, KeyValuePair.Create<string, object?>("stream", "stderr"));
        }

        foreach (var (stage, seconds) in StageDurations(execution, pod))
        {
            _stageDuration.Record(seconds, KeyValuePair.Create<string, object?>("stage", stage));
        }
    }

    /// <summary>Sets the executions of <paramref name="namespaceName"/> waiting in phase Queued.</summary>
    public void SetQueued(string namespaceName, int count) => _queued[namespaceName] = count;

    /// <summary>
    /// The seconds from the execution's creationTimestamp to each stage of <see cref="Stages"/> that it reached (a
    /// condition that is not True, or a time not known, is left out; a negative difference from clock skew counts as 0).
    /// </summary>
    public static IEnumerable<(string Stage, double Seconds)> StageDurations(CodeExecution execution, V1Pod? pod)
    {
        ArgumentNullException.ThrowIfNull(execution);
        if (execution.Metadata?.CreationTimestamp is not { } created)
        {
            yield break;
        }

        var conditions = execution.Status?.Conditions ?? [];
        var code = pod?.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == SandboxRenderer.CodeContainerName);
        var times = new DateTime?[]
        {
            TrueSince(conditions, ConditionTypes.Admitted),
            TrueSince(conditions, ConditionTypes.PodCreated),
            TrueSince(pod?.Status?.Conditions, "PodScheduled"),
            code?.State?.Terminated?.StartedAt ?? code?.State?.Running?.StartedAt,
            code?.State?.Terminated?.FinishedAt,
            TrueSince(conditions, ConditionTypes.Finished),
        };
        for (var i = 0; i < Stages.Count; i++)
        {
            if (times[i] is { } at)
            {
                yield return (Stages[i], Math.Max(0, (Utc(at) - Utc(created)).TotalSeconds));
            }
        }
    }

    private static DateTime? TrueSince(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True")?.LastTransitionTime;

    private static DateTime? TrueSince(IEnumerable<V1PodCondition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True")?.LastTransitionTime;

    private static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);

    private string KnownRuntime(string? name) =>
        name is { Length: > 0 } && _runtimes.Find(new ObjectKey(null, name)) is not null ? name : "";
}
