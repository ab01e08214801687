using Prometheus;

namespace CodeExec.Operator.Controller.Metrics;

/// <summary>
/// The Prometheus metrics of the controller machinery, served on <c>/metrics</c>. One instance per process; the
/// label values name the controller (its primary kind) or the watched resource.
/// </summary>
internal sealed class ControllerMetrics
{
    private static readonly string[] ControllerLabel = ["controller"];

    /// <summary>Reconciles by outcome: success, requeue, error.</summary>
    public Counter ReconcileTotal { get; } = Prometheus.Metrics.CreateCounter("codeexec_controller_reconcile_total",
        "Reconciles run, by controller and result (success, requeue, error).",
        new CounterConfiguration { LabelNames = ["controller", "result"] });

    /// <summary>Reconciles that threw.</summary>
    public Counter ReconcileErrors { get; } = Prometheus.Metrics.CreateCounter("codeexec_controller_reconcile_errors_total",
        "Reconciles that failed with an exception, by controller.",
        new CounterConfiguration { LabelNames = ControllerLabel });

    /// <summary>How long reconciles take.</summary>
    public Histogram ReconcileDuration { get; } = Prometheus.Metrics.CreateHistogram("codeexec_controller_reconcile_duration_seconds",
        "Time a reconcile took, by controller.",
        new HistogramConfiguration
        {
            LabelNames = ControllerLabel,
            Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        });

    /// <summary>Keys waiting for a worker.</summary>
    public Gauge QueueDepth { get; } = Prometheus.Metrics.CreateGauge("codeexec_controller_workqueue_depth",
        "Keys waiting in the work queue for a worker, by controller.",
        new GaugeConfiguration { LabelNames = ControllerLabel });

    /// <summary>Reconciles running now.</summary>
    public Gauge ActiveReconciles { get; } = Prometheus.Metrics.CreateGauge("codeexec_controller_active_reconciles",
        "Reconciles running now, by controller.",
        new GaugeConfiguration { LabelNames = ControllerLabel });

    /// <summary>Watches started again, by reason: timeout (normal renewal), expired (410, relisted), error.</summary>
    public Counter WatchRestarts { get; } = Prometheus.Metrics.CreateCounter("codeexec_controller_watch_restarts_total",
        "Watches started again, by resource and reason (closed, expired, error).",
        new CounterConfiguration { LabelNames = ["resource", "reason"] });

    /// <summary>Objects in each cache.</summary>
    public Gauge CachedObjects { get; } = Prometheus.Metrics.CreateGauge("codeexec_controller_cached_objects",
        "Objects held in the watch cache, by resource.",
        new GaugeConfiguration { LabelNames = ["resource"] });

    /// <summary>1 while this replica holds the leader Lease (or leader election is off), else 0.</summary>
    public Gauge IsLeader { get; } = Prometheus.Metrics.CreateGauge("codeexec_controller_leader",
        "1 while this replica is the leader (always 1 when leader election is off), else 0.");
}
