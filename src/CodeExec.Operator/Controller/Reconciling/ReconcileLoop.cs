using System.Diagnostics;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Queue;
using Microsoft.Extensions.Logging;

namespace CodeExec.Operator.Controller.Reconciling;

/// <summary>Settings of one controller's workers.</summary>
/// <param name="Name">The controller's name in logs and metrics.</param>
/// <param name="MaxConcurrentReconciles">How many different keys reconcile at once.</param>
/// <param name="RetryBackoff">Per-key backoff after failures.</param>
internal sealed record ReconcileLoopSettings(string Name, int MaxConcurrentReconciles, ExponentialBackoff RetryBackoff);

/// <summary>
/// The workers of one controller. During a leadership term, <see cref="RunTermAsync"/> feeds a fresh
/// <see cref="WorkQueue"/> with every known key and runs up to MaxConcurrentReconciles workers over it: a failed
/// reconcile is retried with the key's backoff, a successful one resets it and may ask for a delayed requeue.
/// Keys arriving outside a term are dropped (the next term starts with every key anyway).
/// </summary>
internal sealed class ReconcileLoop(
    ReconcileLoopSettings settings,
    Func<ObjectKey, CancellationToken, Task<ReconcileResult>> reconcile,
    ControllerMetrics metrics,
    TimeProvider timeProvider,
    ILogger logger)
{
    private volatile WorkQueue? _queue;

    /// <summary>The queue of the running term, if any (for tests and metrics).</summary>
    public WorkQueue? CurrentQueue => _queue;

    /// <summary>Queues <paramref name="key"/> if a term is running.</summary>
    public void Enqueue(ObjectKey key) => _queue?.Add(key);

    /// <summary>
    /// Runs one term. <paramref name="stopTaking"/> stops handing out keys (running reconciles finish);
    /// <paramref name="cancelReconciles"/> also cancels the running ones (leadership lost, or shutdown past its grace).
    /// Returns when every worker has stopped.
    /// </summary>
    public async Task RunTermAsync(Func<IEnumerable<ObjectKey>> initialKeys, CancellationToken stopTaking, CancellationToken cancelReconciles)
    {
        // The depth gauge exists from the term's start, also when every key goes straight to a waiting worker.
        metrics.SetQueueDepth(settings.Name, 0);
        using var queue = new WorkQueue(timeProvider, settings.RetryBackoff, depth => metrics.SetQueueDepth(settings.Name, depth),
            wait => metrics.QueueWaited(settings.Name, wait));
        _queue = queue;
        try
        {
            // The queue takes events before the cache is listed, so an object that arrives between the two is in one of
            // them (or both: the queue de-duplicates), never in neither.
            foreach (var key in initialKeys())
            {
                queue.Add(key);
            }

            using var stopRegistration = stopTaking.Register(queue.ShutDown);
            using var cancelRegistration = cancelReconciles.Register(queue.ShutDown);
            var workers = Enumerable.Range(0, Math.Max(1, settings.MaxConcurrentReconciles))
                .Select(_ => Task.Run(() => WorkAsync(queue, cancelReconciles), CancellationToken.None));
            await Task.WhenAll(workers);
        }
        finally
        {
            _queue = null;
            queue.ShutDown();
        }
    }

    private async Task WorkAsync(WorkQueue queue, CancellationToken cancelReconciles)
    {
        while (!cancelReconciles.IsCancellationRequested && await queue.TakeAsync(CancellationToken.None) is { } key)
        {
            if (cancelReconciles.IsCancellationRequested)
            {
                // The term ended while this worker waited: the key belongs to the next term (or none).
                queue.Done(key);
                break;
            }

            try
            {
                await ProcessAsync(queue, key, cancelReconciles);
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(WorkQueue queue, ObjectKey key, CancellationToken cancellationToken)
    {
        // Every log line of this reconcile (the loop's and the reconciler's) carries the object's namespace and name.
        using var scope = logger.BeginScope("{Namespace}/{Name}", key.Namespace, key.Name);
        using var activity = OperatorTelemetry.ActivitySource.StartActivity("reconcile " + settings.Name);
        activity?.SetTag("k8s.namespace.name", key.Namespace);
        activity?.SetTag("codeexec.execution.name", key.Name);
        metrics.ActiveReconciles(settings.Name, +1);
        var started = timeProvider.GetTimestamp();
        var outcome = "cancelled";
        try
        {
            var result = await reconcile(key, cancellationToken);
            if (result.Requeue)
            {
                var delay = queue.AddWithBackoff(key);
                logger.LogDebug("{Controller} {Key}: requeued with backoff {Delay}", settings.Name, key, delay);
                outcome = "requeue";
            }
            else
            {
                queue.Forget(key);
                if (result.RequeueAfter is { } after)
                {
                    queue.AddAfter(key, after);
                }

                outcome = "success";
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("{Controller} {Key}: reconcile cancelled (leadership lost or shutting down)", settings.Name, key);
        }
        catch (Exception e)
        {
            var delay = queue.AddWithBackoff(key);
            logger.LogError(e, "{Controller} {Key}: reconcile failed; retrying in {Delay}", settings.Name, key, delay);
            outcome = "error";
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
        }
        finally
        {
            activity?.SetTag("result", outcome);
            metrics.ReconcileFinished(settings.Name, outcome == "cancelled" ? null : outcome, timeProvider.GetElapsedTime(started));
            metrics.ActiveReconciles(settings.Name, -1);
        }
    }
}
