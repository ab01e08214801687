using k8s;
using k8s.Models;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>One watch event as a test saw it.</summary>
internal sealed record RecordedEvent(WatchEventType Type, string Kind, string Name, string Uid, long ResourceVersion);

/// <summary>
/// Records every watch event of Pods and NetworkPolicies in a namespace from the moment it starts, so a test can count
/// how many Pods an execution ever had and in which order children were created (the global resourceVersion orders them).
/// </summary>
internal sealed class ObjectRecorder : IDisposable
{
    private readonly List<RecordedEvent> _events = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watches = [];

    private ObjectRecorder()
    {
    }

    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public static async Task<ObjectRecorder> StartAsync(IKubernetes client, string namespaceName)
    {
        var recorder = new ObjectRecorder();
        var token = recorder._stop.Token;
        recorder._watches.Add(recorder.RecordAsync(client.CoreV1.WatchListNamespacedPodAsync(namespaceName, cancellationToken: token), "Pod"));
        recorder._watches.Add(recorder.RecordAsync(
            client.NetworkingV1.WatchListNamespacedNetworkPolicyAsync(namespaceName, cancellationToken: token), "NetworkPolicy"));
        await Task.Delay(200); // let both watches open before the test acts
        return recorder;
    }

    /// <summary>The distinct UIDs of the Pods named <paramref name="name"/> that were ever added.</summary>
    public IReadOnlyList<string> PodsCreated(string name) =>
        Events.Where(e => e is { Type: WatchEventType.Added, Kind: "Pod" } && e.Name == name).Select(e => e.Uid).Distinct().ToList();

    private async Task RecordAsync<T>(IAsyncEnumerable<(WatchEventType Type, T Item)> events, string kind)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await foreach (var (type, item) in events)
            {
                Add(type, kind, item.Metadata);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
        }
    }

    private void Add(WatchEventType type, string kind, V1ObjectMeta metadata)
    {
        lock (_lock)
        {
            _events.Add(new RecordedEvent(type, kind, metadata.Name, metadata.Uid, long.Parse(metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
