using System.Collections.Concurrent;
using System.Diagnostics;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Queue;
using CodeExec.Operator.Controller.Reconciling;
using CodeExec.Operator.Tests.Controller.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Reconciling;

public sealed class ReconcileLoopTests
{
    private static readonly ObjectKey A = new("ns", "a");
    private static readonly ObjectKey B = new("ns", "b");
    private static readonly ControllerMetrics Metrics = TestMeters.ControllerMetrics();
    private readonly FakeTimeProvider _time = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ReconcileLoop CreateLoop(Func<ObjectKey, CancellationToken, Task<ReconcileResult>> reconcile, int workers = 4) =>
        new(new ReconcileLoopSettings($"test-{Guid.NewGuid():N}", workers, new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8))),
            reconcile, Metrics, _time, NullLogger.Instance);

    [Fact]
    public async Task Different_keys_reconcile_in_parallel()
    {
        var started = new ConcurrentDictionary<ObjectKey, TaskCompletionSource>();
        var release = new TaskCompletionSource();
        var bothRunning = new TaskCompletionSource();
        var loop = CreateLoop(async (key, ct) =>
        {
            started[key] = new TaskCompletionSource();
            if (started.Count == 2)
            {
                bothRunning.TrySetResult();
            }

            await release.Task.WaitAsync(ct);
            return ReconcileResult.Done;
        });
        using var stop = new CancellationTokenSource();

        var term = loop.RunTermAsync(() => [A, B], stop.Token, CancellationToken.None);
        await bothRunning.Task.WaitAsync(Token);
        release.SetResult();
        await stop.CancelAsync();
        await term.WaitAsync(Token);

        Assert.Equal([A, B], started.Keys.OrderBy(key => key.ToString(), StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_key_that_arrives_while_the_initial_keys_are_listed_is_not_lost()
    {
        var reconciled = new ConcurrentDictionary<ObjectKey, byte>();
        var bReconciled = new TaskCompletionSource();
        ReconcileLoop? loop = null;
        loop = CreateLoop((key, _) =>
        {
            reconciled[key] = 0;
            if (key == B)
            {
                bReconciled.TrySetResult();
            }

            return Task.FromResult(ReconcileResult.Done);
        });
        using var stop = new CancellationTokenSource();

        // The watch event of B comes in after the term began but before the cache listing (which misses B) is taken.
        var term = loop.RunTermAsync(() =>
        {
            loop.Enqueue(B);
            return [A];
        }, stop.Token, CancellationToken.None);
        await bReconciled.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await stop.CancelAsync();
        await term.WaitAsync(Token);

        Assert.True(reconciled.ContainsKey(A));
        Assert.True(reconciled.ContainsKey(B));
    }

    [Fact]
    public async Task One_key_never_reconciles_twice_at_once_and_a_readd_while_running_runs_again_after()
    {
        var running = 0;
        var maxRunning = 0;
        var calls = 0;
        var firstEntered = new TaskCompletionSource();
        var releaseFirst = new TaskCompletionSource();
        var secondDone = new TaskCompletionSource();
        ReconcileLoop? loop = null;
        loop = CreateLoop(async (key, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            maxRunning = Math.Max(maxRunning, now);
            var call = Interlocked.Increment(ref calls);
            if (call == 1)
            {
                firstEntered.SetResult();
                await releaseFirst.Task.WaitAsync(ct);
            }

            Interlocked.Decrement(ref running);
            if (call == 2)
            {
                secondDone.SetResult();
            }

            return ReconcileResult.Done;
        });
        using var stop = new CancellationTokenSource();

        var term = loop.RunTermAsync(() => [A], stop.Token, CancellationToken.None);
        await firstEntered.Task.WaitAsync(Token);
        loop.Enqueue(A);
        loop.Enqueue(A);
        releaseFirst.SetResult();
        await secondDone.Task.WaitAsync(Token);
        await stop.CancelAsync();
        await term.WaitAsync(Token);

        Assert.Equal(1, maxRunning);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_failing_reconcile_is_retried_with_growing_backoff_and_success_resets_it()
    {
        var calls = 0;
        var callSignals = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource()).ToArray();
        var loop = CreateLoop((key, ct) =>
        {
            var call = Interlocked.Increment(ref calls);
            callSignals[call - 1].TrySetResult();
            return call < 3 ? throw new InvalidOperationException("API server said no") : Task.FromResult(ReconcileResult.Done);
        });
        using var stop = new CancellationTokenSource();
        var term = loop.RunTermAsync(() => [A], stop.Token, CancellationToken.None);

        await callSignals[0].Task.WaitAsync(Token);
        await WaitUntilAsync(() => loop.CurrentQueue!.DelayedCount == 1);
        Assert.Equal(1, loop.CurrentQueue!.FailuresOf(A));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(callSignals[1].Task.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await callSignals[1].Task.WaitAsync(Token);

        await WaitUntilAsync(() => loop.CurrentQueue!.DelayedCount == 1);
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(callSignals[2].Task.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await callSignals[2].Task.WaitAsync(Token);
        await WaitUntilAsync(() => loop.CurrentQueue!.FailuresOf(A) == 0);

        await stop.CancelAsync();
        await term.WaitAsync(Token);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task RequeueAfter_reconciles_the_key_again_once_the_delay_passed()
    {
        var calls = 0;
        var second = new TaskCompletionSource();
        var loop = CreateLoop((key, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                second.SetResult();
            }

            return Task.FromResult(ReconcileResult.After(TimeSpan.FromMinutes(1)));
        });
        using var stop = new CancellationTokenSource();
        var term = loop.RunTermAsync(() => [A], stop.Token, CancellationToken.None);

        await WaitUntilAsync(() => loop.CurrentQueue?.DelayedCount == 1);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await second.Task.WaitAsync(Token);

        await stop.CancelAsync();
        await term.WaitAsync(Token);
    }

    [Fact]
    public async Task Ending_the_term_cancels_in_flight_reconciles_and_drops_queued_keys()
    {
        var entered = new TaskCompletionSource();
        var sawCancellation = new TaskCompletionSource();
        var reconciled = new ConcurrentBag<ObjectKey>();
        var loop = CreateLoop(async (key, ct) =>
        {
            reconciled.Add(key);
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation.SetResult();
                throw;
            }

            return ReconcileResult.Done;
        }, workers: 1);
        using var termEnds = new CancellationTokenSource();

        var term = loop.RunTermAsync(() => [A, B], CancellationToken.None, termEnds.Token);
        await entered.Task.WaitAsync(Token);
        await termEnds.CancelAsync();
        await sawCancellation.Task.WaitAsync(Token);
        await term.WaitAsync(Token);

        Assert.Equal([A], reconciled.ToArray());
        Assert.Null(loop.CurrentQueue);
        loop.Enqueue(B); // outside a term: dropped, no error
    }

    [Fact]
    public async Task Stopping_lets_the_running_reconcile_finish_and_takes_no_further_key()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var finishedNormally = false;
        var reconciled = new ConcurrentBag<ObjectKey>();
        var loop = CreateLoop(async (key, ct) =>
        {
            reconciled.Add(key);
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            finishedNormally = true;
            return ReconcileResult.Done;
        }, workers: 1);
        using var stopTaking = new CancellationTokenSource();

        var term = loop.RunTermAsync(() => [A, B], stopTaking.Token, CancellationToken.None);
        await entered.Task.WaitAsync(Token);
        await stopTaking.CancelAsync();
        Assert.False(term.IsCompleted);
        release.SetResult();
        await term.WaitAsync(Token);

        Assert.True(finishedNormally);
        Assert.Equal([A], reconciled.ToArray());
    }

    // Waits for a state the code under test reaches on its own threads; the bound only stops a broken test from hanging.
    private static Task WaitUntilAsync(Func<bool> condition) => Integration.EmulatedCluster.EventuallyAsync(condition);
}

/// <summary>What a reconcile sees of telemetry: its logging scope (namespace and name) and its activity.</summary>
public sealed class ReconcileLoopTelemetryTests
{
    [Fact]
    public async Task Each_reconcile_logs_within_a_scope_of_its_namespace_and_name_and_runs_in_an_activity()
    {
        var scopes = new ScopeSeeingProvider();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(scopes));
        var seen = new TaskCompletionSource<(string? Scope, Activity? Activity)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OperatorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (stopped) { stopped.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        var loop = new ReconcileLoop(new ReconcileLoopSettings("CodeExecution", 1, new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))),
            (key, _) =>
            {
                string? scope = null;
                scopes.Provider!.ForEachScope((state, _) => scope = state?.ToString(), (object?)null);
                seen.TrySetResult((scope, Activity.Current));
                return Task.FromResult(ReconcileResult.Done);
            },
            TestMeters.ControllerMetrics(), TimeProvider.System, factory.CreateLogger("loop"));
        using var stop = new CancellationTokenSource();

        var term = loop.RunTermAsync(() => [new ObjectKey("team-a", "hello")], stop.Token, CancellationToken.None);
        var (scope, activity) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await term.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal("team-a/hello", scope);
        Assert.NotNull(activity);
        Assert.Equal("reconcile CodeExecution", activity.OperationName);
        Assert.Equal("team-a", activity.GetTagItem("k8s.namespace.name"));
        Assert.Equal("hello", activity.GetTagItem("codeexec.execution.name"));
        lock (stopped)
        {
            Assert.Equal("success", Assert.Single(stopped, a => a == activity).GetTagItem("result"));
        }
    }

    /// <summary>A logger provider that keeps the factory's scope provider, where the scopes of all its loggers land.</summary>
    private sealed class ScopeSeeingProvider : ILoggerProvider, ISupportExternalScope
    {
        public IExternalScopeProvider? Provider { get; private set; }

        public ILogger CreateLogger(string categoryName) => NullLogger.Instance;

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => Provider = scopeProvider;

        public void Dispose()
        {
        }
    }
}
