using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CodeExec.Operator.Controller.Metrics;

/// <summary>
/// The metrics of the controller machinery, on the meter <see cref="OperatorTelemetry.Name"/> of
/// <paramref name="meterFactory"/> (one per service provider). Prometheus names as OpenTelemetry's exporter renders
/// them (dots become underscores, the unit <c>s</c> adds <c>_seconds</c>, counters end in <c>_total</c>); the label
/// values name the controller (its primary kind) or the watched resource, never an object:
/// <list type="bullet">
/// <item><c>codeexec_controller_reconcile_total{controller,result}</c> (result success, requeue, error),
/// <c>codeexec_controller_reconcile_errors_total{controller}</c>,
/// <c>codeexec_controller_reconcile_duration_seconds{controller}</c> (histogram),
/// <c>codeexec_controller_active_reconciles{controller}</c>;</item>
/// <item><c>codeexec_controller_workqueue_depth{controller}</c> (keys waiting for a worker),
/// <c>codeexec_controller_workqueue_wait_duration_seconds{controller}</c> (histogram: from queued to taken by a worker);</item>
/// <item><c>codeexec_controller_watch_restarts_total{resource,reason}</c>, <c>codeexec_controller_cached_objects{resource}</c>,
/// <c>codeexec_controller_leader</c> (1 while this replica leads, or leader election is off).</item>
/// </list>
/// </summary>
internal sealed class ControllerMetrics
{
    private readonly Counter<long> _reconciles;
    private readonly Counter<long> _reconcileErrors;
    private readonly Histogram<double> _reconcileDuration;
    private readonly UpDownCounter<long> _activeReconciles;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _watchRestarts;
    private readonly ConcurrentDictionary<string, long> _queueDepth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _cachedObjects = new(StringComparer.Ordinal);
    private long _isLeader;

    public ControllerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(OperatorTelemetry.Name);
        var seconds = OperatorTelemetry.SecondsAdvice;
        _reconciles = meter.CreateCounter<long>("codeexec.controller.reconcile", "{reconcile}",
            "Reconciles run, by controller and result (success, requeue, error).");
        _reconcileErrors = meter.CreateCounter<long>("codeexec.controller.reconcile.errors", "{reconcile}",
            "Reconciles that failed with an exception, by controller.");
        _reconcileDuration = meter.CreateHistogram("codeexec.controller.reconcile.duration", "s",
            "Time a reconcile took, by controller.", advice: seconds);
        _activeReconciles = meter.CreateUpDownCounter<long>("codeexec.controller.active_reconciles", "{reconcile}",
            "Reconciles running now, by controller.");
        _queueWait = meter.CreateHistogram("codeexec.controller.workqueue.wait.duration", "s",
            "Time a key waited in the work queue until a worker took it, by controller.", advice: seconds);
        _watchRestarts = meter.CreateCounter<long>("codeexec.controller.watch_restarts", "{watch}",
            "Watches started again, by resource and reason (closed, expired, error).");
        meter.CreateObservableGauge("codeexec.controller.workqueue_depth", () => OperatorTelemetry.Observe(_queueDepth, "controller"), "{key}",
            "Keys waiting in the work queue for a worker, by controller.");
        meter.CreateObservableGauge("codeexec.controller.cached_objects", () => OperatorTelemetry.Observe(_cachedObjects, "resource"), "{object}",
            "Objects held in the watch cache, by resource.");
        meter.CreateObservableGauge("codeexec.controller.leader", () => Interlocked.Read(ref _isLeader), null,
            "1 while this replica is the leader (always 1 when leader election is off), else 0.");
    }

    /// <summary>
    /// Records a finished reconcile of <paramref name="controller"/> and its duration; <paramref name="result"/> success,
    /// requeue or error is counted (errors also apart), null (cancelled) only timed.
    /// </summary>
    public void ReconcileFinished(string controller, string? result, TimeSpan duration)
    {
        var controllerTag = KeyValuePair.Create<string, object?>("controller", controller);
        if (result is not null)
        {
            _reconciles.Add(1, controllerTag, KeyValuePair.Create<string, object?>("result", result));
        }

        if (result == "error")
        {
            _reconcileErrors.Add(1, controllerTag);
        }

        _reconcileDuration.Record(duration.TotalSeconds, controllerTag);
    }

    /// <summary>Changes the count of running reconciles of <paramref name="controller"/> by <paramref name="delta"/> (+1, -1).</summary>
    public void ActiveReconciles(string controller, int delta) =>
        _activeReconciles.Add(delta, KeyValuePair.Create<string, object?>("controller", controller));

    /// <summary>Sets the keys waiting for a worker of <paramref name="controller"/>.</summary>
    public void SetQueueDepth(string controller, int depth) => _queueDepth[controller] = depth;

    /// <summary>Records how long a key waited in the queue of <paramref name="controller"/> before a worker took it.</summary>
    public void QueueWaited(string controller, TimeSpan wait) =>
        _queueWait.Record(Math.Max(0, wait.TotalSeconds), KeyValuePair.Create<string, object?>("controller", controller));

    /// <summary>Counts a watch of <paramref name="resource"/> started again for <paramref name="reason"/> (closed, expired, error).</summary>
    public void WatchRestarted(string resource, string reason) =>
        _watchRestarts.Add(1, KeyValuePair.Create<string, object?>("resource", resource), KeyValuePair.Create<string, object?>("reason", reason));

    /// <summary>Sets the objects in the cache of <paramref name="resource"/>.</summary>
    public void SetCachedObjects(string resource, int count) => _cachedObjects[resource] = count;

    /// <summary>Sets whether this replica leads.</summary>
    public void SetLeader(bool isLeader) => Interlocked.Exchange(ref _isLeader, isLeader ? 1 : 0);
}
