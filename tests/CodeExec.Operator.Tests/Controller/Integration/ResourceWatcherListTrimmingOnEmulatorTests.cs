using System.Collections.Concurrent;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Watching;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Controller.Fakes;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>
/// Listing many large labelled ConfigMaps (which any tenant can create) over real HTTP, with a watch of small pages and
/// a trim function (as a controller would register for large objects): every object is trimmed before the next page is
/// requested, on the first list and on a relist after 410 Gone, so at most one page of untrimmed objects is ever held.
/// The CodeExecution controller itself neither lists nor watches ConfigMaps or Secrets.
/// </summary>
public sealed class ResourceWatcherListTrimmingOnEmulatorTests : IAsyncLifetime
{
    private const int PageSize = 25;
    private static readonly string LargeValue = new('x', 100 * 1024);

    private KubernetesEmulator _emulator = null!;
    private KubernetesApiClient _client = null!;
    private RecordingSource _source = null!;
    private WatchOptions<V1ConfigMap> _registered = null!;
    private ObjectCache<V1ConfigMap> _cache = null!;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Trimmed> _trims = new();
    private ResourceWatcher<V1ConfigMap> _watcher = null!;
    private Task _running = Task.CompletedTask;

    /// <summary>One call of the list path's trim: which object, how many list requests had been sent, whether it still had its data.</summary>
    private sealed record Trimmed(string Name, int ListRequestsSent, bool HadData);

    public async ValueTask InitializeAsync()
    {
        _emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        _client = new KubernetesApiClient(_emulator.ClientConfiguration);
        _source = new RecordingSource(_client);

        _registered = new WatchOptions<V1ConfigMap>
        {
            LabelSelector = OperatorHost.ManagedByLabelSelector,
            ListPageSize = PageSize,
            Keep = child => CodeExec.Operator.Controller.Owners.OwnerMapping.ControllerOwnerKey(child, OperatorHost.CodeExecutionResource) is not null,
            Trim = configMap =>
            {
                CacheTrimming.TrimMetadata(configMap);
                configMap.Data = null;
                configMap.BinaryData = null;
            },
        };

        var resource = ResourceType.FromEntityAttribute(typeof(V1ConfigMap))!;
        var options = new WatchOptions<V1ConfigMap>
        {
            Resource = resource,
            LabelSelector = _registered.LabelSelector,
            ListPageSize = _registered.ListPageSize,
            Trim = configMap =>
            {
                _trims.Enqueue(new Trimmed(configMap.Metadata.Name, _source.Lists.Count, configMap.Data is not null));
                _registered.Trim(configMap);
            },
        };

        // As registered by AddWatchedResource, the cache trims with the same function (for watch events).
        _cache = new ObjectCache<V1ConfigMap>(_registered.Trim);
        _watcher = new ResourceWatcher<V1ConfigMap>(_source, resource, options,
            new WatcherSettings(TimeSpan.FromMinutes(5), ListPageSize: 500,
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

    private async Task CreateConfigMapsAsync(string prefix, int count, bool managed = true, V1OwnerReference? owner = null)
    {
        for (var i = 0; i < count; i++)
        {
            await _client.CoreV1.CreateNamespacedConfigMapAsync(
                new V1ConfigMap
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = $"{prefix}-{i:D3}",
                        NamespaceProperty = "default",
                        Labels = managed ? new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "codeexec-operator" } : null,
                        OwnerReferences = owner is null ? null : [owner],
                    },
                    Data = new Dictionary<string, string> { ["main.py"] = LargeValue },
                },
                "default", cancellationToken: Ct);
        }
    }

    // For each list request (1-based, in order), how many objects were trimmed while it was the latest one sent.
    private int[] TrimsPerListRequest(int fromRequest) =>
        [.. _trims.Where(t => t.ListRequestsSent >= fromRequest).GroupBy(t => t.ListRequestsSent).OrderBy(g => g.Key).Select(g => g.Count())];

    private void AssertEverythingCachedIsTrimmed(int expected)
    {
        var cached = _cache.List();
        Assert.Equal(expected, cached.Count);
        Assert.All(cached, configMap => Assert.Null(configMap.Data));
    }

    [Fact]
    public void The_CodeExecution_controller_caches_no_ConfigMaps_or_Secrets()
    {
        var services = new ServiceCollection();
        services.AddCodeExecutionController(new ConfigurationBuilder().Build(), OperatorHost.ManagedByLabelSelector);

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IObjectCache<V1ConfigMap>) || d.ServiceType == typeof(IObjectCache<V1Secret>));
        Assert.Contains(services, d => d.ServiceType == typeof(IObjectCache<V1Pod>));
    }

    [Fact]
    public async Task A_list_of_many_large_ConfigMaps_trims_each_page_before_requesting_the_next()
    {
        await CreateConfigMapsAsync("code", 60);
        await CreateConfigMapsAsync("unmanaged", 3, managed: false);

        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);

        // Three pages of the watch's own size (not the shared 500), each trimmed in full before the next was requested.
        Assert.Equal(3, _source.Lists.Count);
        Assert.All(_source.Lists, list => Assert.Contains($"limit={PageSize}&", list, StringComparison.Ordinal));
        Assert.Equal([25, 25, 10], TrimsPerListRequest(fromRequest: 1));
        Assert.All(_trims, t => Assert.True(t.HadData, "each object was decoded with its data and trimmed once"));
        Assert.Equal(60, _trims.Select(t => t.Name).Distinct().Count());
        AssertEverythingCachedIsTrimmed(60);
    }

    [Fact]
    public async Task A_relist_after_410_Gone_trims_page_by_page_too()
    {
        await CreateConfigMapsAsync("code", 30);
        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);
        Assert.Equal([25, 5], TrimsPerListRequest(fromRequest: 1));

        // Once the watch is live (it delivered a probe), cut the watcher off while more ConfigMaps appear and history
        // is compacted: its next watch gets 410.
        await CreateConfigMapsAsync("probe", 1);
        await EventuallyAsync(() => _cache.Count == 31, "the watch delivered the probe");
        _emulator.Faults.FailRequests("WATCH", "configmaps", 500);
        Assert.True(_emulator.Faults.CloseAllWatches() >= 1);
        await CreateConfigMapsAsync("later", 30);
        _emulator.Faults.CompactHistory();
        _emulator.Faults.Reset();

        await EventuallyAsync(() => _watcher.ListCount == 2 && _cache.Count == 61, "a relist of all 61 ConfigMaps");
        Assert.Equal(5, _source.Lists.Count);
        Assert.Equal([25, 25, 11], TrimsPerListRequest(fromRequest: 3));
        Assert.All(_trims, t => Assert.True(t.HadData));
        AssertEverythingCachedIsTrimmed(61);
    }

    [Fact]
    public async Task Watch_events_of_large_ConfigMaps_are_cached_trimmed()
    {
        _running = _watcher.RunAsync(_stop.Token);
        await _watcher.WaitForSyncAsync(Ct);

        await CreateConfigMapsAsync("watched", 3);
        var changed = await _client.CoreV1.ReadNamespacedConfigMapAsync("watched-000", "default", cancellationToken: Ct);
        changed.Data["other.py"] = "print(2)";
        var replaced = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(changed, "watched-000", "default", cancellationToken: Ct);

        await EventuallyAsync(
            () => _cache.Count == 3 && _cache.Find(new ObjectKey("default", "watched-000"))?.Metadata.ResourceVersion == replaced.Metadata.ResourceVersion,
            "the ADDED and MODIFIED events cached");
        AssertEverythingCachedIsTrimmed(3);
        Assert.Equal(1, _watcher.ListCount);
    }

    [Fact]
    public async Task Labelled_ConfigMaps_no_CodeExecution_controls_are_never_cached()
    {
        var execution = await CreateExecutionAsync(_client, "run");
        var owner = CodeExec.Operator.Controller.Owners.OwnerMapping.ControllerReference(execution);
        await CreateConfigMapsAsync("owned", 2, owner: owner);
        await CreateConfigMapsAsync("tenant", 5);
        var resource = ResourceType.FromEntityAttribute(typeof(V1ConfigMap))!;
        var options = new WatchOptions<V1ConfigMap>
        {
            Resource = resource,
            LabelSelector = _registered.LabelSelector,
            ListPageSize = _registered.ListPageSize,
            Trim = _registered.Trim,
            Keep = _registered.Keep,
        };
        var cache = new ObjectCache<V1ConfigMap>(_registered.Trim);
        var watcher = new ResourceWatcher<V1ConfigMap>(_source, resource, options,
            new WatcherSettings(TimeSpan.FromMinutes(5), ListPageSize: 500,
                new ExponentialBackoffSettings(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200))),
            cache, TestMeters.ControllerMetrics(), TimeProvider.System, NullLogger.Instance);
        _running = watcher.RunAsync(_stop.Token);
        await watcher.WaitForSyncAsync(Ct);
        Assert.Equal(["owned-000", "owned-001"], cache.List().Select(c => c.Metadata.Name).Order());

        await CreateConfigMapsAsync("later-tenant", 2);
        await CreateConfigMapsAsync("later-owned", 1, owner: owner);
        await EventuallyAsync(() => cache.Find(new ObjectKey("default", "later-owned-000")) is not null, "the owned ConfigMap cached");

        Assert.Equal(["later-owned-000", "owned-000", "owned-001"], cache.List().Select(c => c.Metadata.Name).Order());
        Assert.All(cache.List(), configMap => Assert.Null(configMap.Data));
    }

    /// <summary>Passes requests to the emulator's client and records the list (non-watch) requests in order.</summary>
    private sealed class RecordingSource(IKubernetesStreamSource inner) : IKubernetesStreamSource
    {
        private readonly ConcurrentQueue<string> _lists = new();

        public IReadOnlyCollection<string> Lists => _lists;

        public Task<HttpResponseMessage> GetStreamingAsync(string pathAndQuery, CancellationToken cancellationToken)
        {
            if (!pathAndQuery.Contains("watch=true", StringComparison.Ordinal))
            {
                _lists.Enqueue(pathAndQuery);
            }

            return inner.GetStreamingAsync(pathAndQuery, cancellationToken);
        }
    }
}
