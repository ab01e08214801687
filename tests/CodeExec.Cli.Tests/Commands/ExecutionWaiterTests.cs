using CodeExec.Api;
using CodeExec.Cli.Cluster;
using CodeExec.Cli.Commands;
using CodeExec.Operator.Tests.Harness;
using k8s;
using k8s.Models;

namespace CodeExec.Cli.Tests.Commands;

/// <summary>
/// The wait of <c>run</c> against the emulator without an operator: the test writes the status as the operator would,
/// and breaks the watch (refused, closed, expired) to see the waiter carry on.
/// </summary>
public sealed class ExecutionWaiterTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;
    private ClusterConnection _connection = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        _connection = ClusterConnection.Open(new CliConsole(Stream.Null, Stream.Null, Stream.Null), _cluster.KubeconfigPath, null, null);
    }

    public async ValueTask DisposeAsync()
    {
        _connection.Dispose();
        await _cluster.DisposeAsync();
    }

    private Task SetPhaseAsync(string name, string phase) =>
        _cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"status\":{\"phase\":\"" + phase + "\"}}", V1Patch.PatchType.MergePatch),
            ApiConstants.Group, ApiConstants.Version, SandboxCluster.Namespace, ApiConstants.CodeExecutionPlural, name,
            cancellationToken: TestContext.Current.CancellationToken);

    private static async Task WhenAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_watch_sees_each_phase_and_returns_at_the_final_one()
    {
        var created = await _cluster.CreateExecutionAsync("watched");
        var seen = new List<string?>();
        var waiter = new ExecutionWaiter(_connection, e => { lock (seen) { seen.Add(e.Status?.Phase); } }, TimeSpan.FromMinutes(1));

        var wait = waiter.WaitAsync(created, TestContext.Current.CancellationToken);
        await WhenAsync(() => _cluster.Emulator.Faults.Requests("WATCH", ApiConstants.CodeExecutionPlural) > 0, "the watch is open");
        await SetPhaseAsync("watched", ExecutionPhase.Queued);
        await SetPhaseAsync("watched", ExecutionPhase.Running);
        await SetPhaseAsync("watched", ExecutionPhase.Succeeded);
        var final = await wait;

        Assert.Equal(ExecutionPhase.Succeeded, final.Status?.Phase);
        Assert.Equal([ExecutionPhase.Queued, ExecutionPhase.Running, ExecutionPhase.Succeeded], seen);
        Assert.False(waiter.Polling);
    }

    [Fact]
    public async Task When_watches_keep_failing_it_polls()
    {
        var created = await _cluster.CreateExecutionAsync("polled");
        _cluster.Emulator.Faults.FailRequests("WATCH", ApiConstants.CodeExecutionPlural, 500);
        var waiter = new ExecutionWaiter(_connection, _ => { }, TimeSpan.FromMilliseconds(50));

        var wait = waiter.WaitAsync(created, TestContext.Current.CancellationToken);
        await WhenAsync(() => waiter.Polling, "the waiter polls after failed watches");
        await SetPhaseAsync("polled", ExecutionPhase.TimedOut);
        var final = await wait;

        Assert.Equal(ExecutionPhase.TimedOut, final.Status?.Phase);
        Assert.Equal(ExecutionWaiter.MaxWatchFailures, _cluster.Emulator.Faults.Requests("WATCH", ApiConstants.CodeExecutionPlural));
    }

    [Fact]
    public async Task A_closed_or_expired_watch_is_opened_again_without_missing_the_end()
    {
        var created = await _cluster.CreateExecutionAsync("reopened");
        var waiter = new ExecutionWaiter(_connection, _ => { }, TimeSpan.FromMinutes(1));
        var watches = () => _cluster.Emulator.Faults.Requests("WATCH", ApiConstants.CodeExecutionPlural);

        var wait = waiter.WaitAsync(created, TestContext.Current.CancellationToken);
        await WhenAsync(() => watches() == 1, "the first watch is open");
        await SetPhaseAsync("reopened", ExecutionPhase.Running);
        _cluster.Emulator.Faults.CompactHistory();
        _cluster.Emulator.Faults.CloseAllWatches();
        await WhenAsync(() => watches() >= 2, "a new watch is open");
        await SetPhaseAsync("reopened", ExecutionPhase.Rejected);
        var final = await wait;

        Assert.Equal(ExecutionPhase.Rejected, final.Status?.Phase);
        Assert.False(waiter.Polling);
    }

    [Fact]
    public async Task A_deleted_execution_ends_the_wait_with_an_error()
    {
        var created = await _cluster.CreateExecutionAsync("vanished");
        var waiter = new ExecutionWaiter(_connection, _ => { }, TimeSpan.FromMinutes(1));

        var wait = waiter.WaitAsync(created, TestContext.Current.CancellationToken);
        await WhenAsync(() => _cluster.Emulator.Faults.Requests("WATCH", ApiConstants.CodeExecutionPlural) > 0, "the watch is open");
        await _connection.DeleteExecutionAsync("vanished", TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<CliException>(() => wait);
        Assert.Equal("codeexecution/vanished was deleted before it finished", e.Message);
    }
}
