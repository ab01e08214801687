using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Watching;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Tests.Controller.Fakes;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>The watcher against the API emulator over real HTTP: list, watch, dropped watches and 410 Gone.</summary>
public sealed class WatcherOnEmulatorTests : IAsyncLifetime
{
    private KubernetesEmulator _emulator = null!;
    private KubernetesApiClient _client = null!;
    private readonly ObjectCache<CodeExecution> _cache = new(CacheTrimming.TrimCodeExecution);
    private readonly CancellationTokenSource _stop = new();
    private ResourceWatcher<CodeExecution> _watcher = null!;
    private Task _running = Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        _emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        _client = new KubernetesApiClient(_emulator.ClientConfiguration);
        var options = new WatchOptions<CodeExecution> { Resource = OperatorHost.CodeExecutionResource, Trim = CacheTrimming.TrimCodeExecution };
        _watcher = new ResourceWatcher<CodeExecution>(_client, OperatorHost.CodeExecutionResource, options,
            new WatcherSettings(TimeSpan.FromMinutes(5), ListPageSize: 2,
                new ExponentialBackoffSettings(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200))),
            _cache, TestMeters.ControllerMetrics(), TimeProvider.System, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    private bool Cached(string name) => _cache.Find(new ObjectKey("default", name)) is not null;

    [Fact]
    public async Task Lists_existing_objects_in_pages_then_follows_changes()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            await CreateExecutionAsync(_client, name);
        }

        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);
        Assert.Equal(3, _cache.Count);

        await CreateExecutionAsync(_client, "d");
        await DeleteExecutionAsync(_client, "a");
        await EventuallyAsync(() => Cached("d") && !Cached("a"));
        Assert.Equal(1, _watcher.ListCount);
    }

    [Fact]
    public async Task A_dropped_watch_resumes_without_relisting_and_misses_nothing()
    {
        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);
        await CreateExecutionAsync(_client, "before");
        await EventuallyAsync(() => Cached("before"));

        Assert.True(_emulator.Faults.CloseAllWatches() >= 1);
        await CreateExecutionAsync(_client, "after");
        await DeleteExecutionAsync(_client, "before");

        await EventuallyAsync(() => Cached("after") && !Cached("before"));
        Assert.Equal(1, _watcher.ListCount);
    }

    [Fact]
    public async Task After_410_Gone_the_watcher_relists_and_sees_changes_made_while_it_was_cut_off()
    {
        await CreateExecutionAsync(_client, "doomed");
        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);
        Assert.True(Cached("doomed"));

        // Cut the watcher off: its watch ends and new watches fail, while the object changes and history is compacted.
        _emulator.Faults.FailRequests("WATCH", ApiConstants.CodeExecutionPlural, 500);
        _emulator.Faults.CloseAllWatches();
        await DeleteExecutionAsync(_client, "doomed");
        await CreateExecutionAsync(_client, "born");
        _emulator.Faults.CompactHistory();
        Assert.True(Cached("doomed"), "the watcher cannot have seen the deletion yet");
        _emulator.Faults.Reset();

        await EventuallyAsync(() => Cached("born") && !Cached("doomed"));
        Assert.True(_watcher.ListCount >= 2, "a relist happened after the expiry");
    }
}
