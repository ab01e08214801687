using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// A scheduler for the one simulated node, as an ordinary API client: it watches unbound pods (<c>spec.nodeName=</c>) and binds each to
/// the node through the pods/binding subresource. A pod whose runtimeClassName names no RuntimeClass stays Pending
/// with condition PodScheduled=False, reason Unschedulable; it is retried until the RuntimeClass appears. So does a pod
/// whose nodeSelector the node's labels (kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch) do not match.
/// </summary>
public sealed class SimulatedScheduler : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ConcurrentDictionary<string, V1Pod> _unscheduled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private Task? _informer;
    private Task? _retries;

    public SimulatedScheduler(IKubernetes client, KubeletOptions? options = null)
    {
        _client = client;
        _options = options ?? new KubeletOptions();
    }

    /// <summary>Starts watching pods.</summary>
    public Task StartAsync()
    {
        var informer = new PodInformer(_client, _options.Logger, "spec.nodeName=", OnList, OnEvent);
        _informer = Task.Run(() => informer.RunAsync(_shutdown.Token));
        _retries = Task.Run(RetryLoopAsync);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        await Task.WhenAll(_informer ?? Task.CompletedTask, _retries ?? Task.CompletedTask);
        _shutdown.Dispose();
    }

    private void OnList(IList<V1Pod> pods)
    {
        _unscheduled.Clear();
        foreach (var pod in pods)
        {
            OnEvent(WatchEventType.Added, pod);
        }
    }

    private void OnEvent(WatchEventType type, V1Pod pod)
    {
        var key = pod.Metadata.Uid;
        if (type == WatchEventType.Deleted || !string.IsNullOrEmpty(pod.Spec?.NodeName) || pod.Metadata.DeletionTimestamp is not null
            || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            _unscheduled.TryRemove(key, out _);
            return;
        }

        _unscheduled[key] = pod;
        if (_inFlight.TryAdd(key, 0))
        {
            _ = Task.Run(() => ScheduleAsync(pod));
        }
    }

    private async Task RetryLoopAsync()
    {
        try
        {
            while (!_shutdown.IsCancellationRequested)
            {
                await Task.Delay(_options.RetryInterval, _options.Time, _shutdown.Token);
                foreach (var (key, pod) in _unscheduled)
                {
                    if (_inFlight.TryAdd(key, 0))
                    {
                        _ = Task.Run(() => ScheduleAsync(pod));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shut down.
        }
    }

    private async Task ScheduleAsync(V1Pod pod)
    {
        var key = pod.Metadata.Uid;
        try
        {
            if (pod.Spec.SchedulingGates is { Count: > 0 } gates)
            {
                // A gated pod is not even tried until its gates are removed (each removal is a watch event).
                await MarkUnschedulableAsync(pod, "SchedulingGated", $"waiting for scheduling gates: {string.Join(", ", gates.Select(g => g.Name))}");
                return;
            }

            if (pod.Spec.RuntimeClassName is { Length: > 0 } runtimeClass && !await RuntimeClassExistsAsync(runtimeClass))
            {
                await MarkUnschedulableAsync(pod, "Unschedulable", $"0/1 nodes are available: runtimeClass \"{runtimeClass}\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
                return;
            }

            if (pod.Spec.NodeSelector?.FirstOrDefault(s => NodeLabel(s.Key) != s.Value) is { Key: not null })
            {
                // The node's labels do not match (for example a RuntimeClass's scheduling.nodeSelector for a runtime this node lacks).
                await MarkUnschedulableAsync(pod, "Unschedulable", "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
                return;
            }

            await _client.CoreV1.CreateNamespacedPodBindingAsync(
                new V1Binding
                {
                    Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
                    Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = _options.NodeName },
                },
                pod.Metadata.Name,
                pod.Metadata.NamespaceProperty,
                cancellationToken: _shutdown.Token);
            _unscheduled.TryRemove(key, out _);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Deleted meanwhile, or bound already: nothing to do.
            _unscheduled.TryRemove(key, out _);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shut down.
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _options.Logger.LogDebug(e, "Scheduling pod {Namespace}/{Pod} failed; will retry", pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    /// <summary>The simulated node's well-known labels (it has no others).</summary>
    private string? NodeLabel(string key) => key switch
    {
        "kubernetes.io/hostname" => _options.NodeName,
        "kubernetes.io/os" => "linux",
        "kubernetes.io/arch" => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64",
        _ => null,
    };

    private async Task<bool> RuntimeClassExistsAsync(string name)
    {
        try
        {
            await _client.NodeV1.ReadRuntimeClassAsync(name, cancellationToken: _shutdown.Token);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task MarkUnschedulableAsync(V1Pod pod, string reason, string message)
    {
        var current = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (current is { Status: "False" } && current.Reason == reason && current.Message == message)
        {
            return;
        }

        var status = new V1PodStatus
        {
            Phase = "Pending",
            Conditions =
            [
                new V1PodCondition
                {
                    Type = "PodScheduled",
                    Status = "False",
                    Reason = reason,
                    Message = message,
                    LastTransitionTime = _options.Time.GetUtcNow().UtcDateTime,
                },
            ],
        };
        var patched = await _client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Pod { Status = status }), V1Patch.PatchType.MergePatch),
            pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: _shutdown.Token);
        _unscheduled[pod.Metadata.Uid] = patched;
    }
}
