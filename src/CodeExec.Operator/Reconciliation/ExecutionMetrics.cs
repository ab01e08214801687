using Prometheus;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Prometheus metrics of executions (the controller machinery has its own reconcile and queue metrics).</summary>
internal sealed class ExecutionMetrics
{
    private readonly Counter _finished = Prometheus.Metrics.CreateCounter(
        "codeexec_executions_finished_total", "Executions that reached a final phase, by phase and reason.",
        new CounterConfiguration { LabelNames = ["phase", "reason"] });

    private readonly Counter _podsCreated = Prometheus.Metrics.CreateCounter(
        "codeexec_sandbox_pods_created_total", "Sandbox Pods created.");

    private readonly Counter _truncated = Prometheus.Metrics.CreateCounter(
        "codeexec_output_truncated_total", "Output streams cut to limits.outputBytes, by stream.",
        new CounterConfiguration { LabelNames = ["stream"] });

    private readonly Histogram _duration = Prometheus.Metrics.CreateHistogram(
        "codeexec_execution_duration_seconds", "Run time of the code, from start to end, of finished executions.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 14) });

    private readonly Gauge _queued = Prometheus.Metrics.CreateGauge(
        "codeexec_executions_queued", "Executions waiting for a free slot of their namespace, as last seen.",
        new GaugeConfiguration { LabelNames = ["namespace"] });

    public void PodCreated() => _podsCreated.Inc();

    public void ExecutionFinished(string phase, string? reason, long? durationMs, bool stdoutTruncated, bool stderrTruncated)
    {
        _finished.WithLabels(phase, reason ?? "").Inc();
        if (durationMs is { } ms)
        {
            _duration.Observe(ms / 1000.0);
        }

        if (stdoutTruncated)
        {
            _truncated.WithLabels("stdout").Inc();
        }

        if (stderrTruncated)
        {
            _truncated.WithLabels("stderr").Inc();
        }
    }

    public void SetQueued(string namespaceName, int count) => _queued.WithLabels(namespaceName).Set(count);
}
