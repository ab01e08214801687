using System.Collections.Concurrent;
using System.Net;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using WatchEventType = k8s.WatchEventType;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// A kubelet for one simulated node, as an ordinary API client: it watches pods, runs those bound to its node with
/// an <see cref="IPodRunner"/>, writes pods/status as they progress (Pending, Running, Succeeded/Failed with
/// per-container states), appends container output to the <see cref="PodLogStore"/> the emulator serves /log from,
/// enforces activeDeadlineSeconds, evicts on request, and finishes graceful deletions (kill, then delete with grace 0).
/// </summary>
public sealed class SimulatedKubelet : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly PodLogStore _logs;
    private readonly IPodRunner _runner;
    private readonly KubeletOptions _options;
    private readonly ConcurrentDictionary<string, PodWorker> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _finished = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private Task? _informer;
    private int _nextPodIp;

    public SimulatedKubelet(IKubernetes client, PodLogStore logs, IPodRunner runner, KubeletOptions? options = null)
    {
        _client = client;
        _logs = logs;
        _runner = runner;
        _options = options ?? new KubeletOptions();
    }

    /// <summary>Pods this kubelet is running now.</summary>
    public int RunningPods => _workers.Count;

    private int _disposed;

    /// <summary>Starts watching pods. Returns once the watch loop runs.</summary>
    public Task StartAsync()
    {
        var informer = new PodInformer(_client, _options.Logger, "spec.nodeName=" + _options.NodeName, OnList, OnEvent);
        _informer = Task.Run(() => informer.RunAsync(_shutdown.Token));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Evicts a running pod as the node-pressure eviction manager does: its containers are stopped and it ends
    /// Failed with reason Evicted. Completes once the final status is written. False when the pod is not running here.
    /// </summary>
    public async Task<bool> EvictAsync(string @namespace, string name, string message = "The node was low on resource: memory.")
    {
        var worker = _workers.Values.FirstOrDefault(w => w.Namespace == @namespace && w.Name == name);
        if (worker is null)
        {
            return false;
        }

        worker.Stop(StopReason.Evicted, message);
        await worker.Completion;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _shutdown.CancelAsync();
        foreach (var worker in _workers.Values)
        {
            worker.Stop(StopReason.Shutdown, null);
        }

        await Task.WhenAll(_workers.Values.Select(w => w.Completion).Append(_informer ?? Task.CompletedTask));
        _shutdown.Dispose();
    }

    private void OnList(IList<V1Pod> pods)
    {
        var present = pods.Select(p => p.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        foreach (var worker in _workers.Values.Where(w => !present.Contains(w.Uid)))
        {
            worker.Stop(StopReason.Deleted, null);
        }

        foreach (var pod in pods)
        {
            OnEvent(WatchEventType.Modified, pod);
        }
    }

    private void OnEvent(WatchEventType type, V1Pod pod)
    {
        var uid = pod.Metadata.Uid;
        if (type == WatchEventType.Deleted)
        {
            _finished.TryRemove(uid, out _);
            if (_workers.TryGetValue(uid, out var gone))
            {
                gone.Stop(StopReason.Deleted, null);
            }

            return;
        }

        if (pod.Spec?.NodeName != _options.NodeName)
        {
            return;
        }

        if (_workers.TryGetValue(uid, out var running))
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                running.Stop(StopReason.Deleted, null);
            }

            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            // Deleted gracefully before (or after) it ran here: nothing runs, so finish the deletion.
            _ = ForceDeleteAsync(pod);
            return;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed" || _finished.ContainsKey(uid) || _shutdown.IsCancellationRequested)
        {
            return;
        }

        var podIp = $"10.244.{(Interlocked.Increment(ref _nextPodIp) >> 8) & 0xff}.{_nextPodIp & 0xff}";
        var worker = new PodWorker(this, pod, podIp);
        if (_workers.TryAdd(uid, worker))
        {
            worker.Start();
        }
    }

    private async Task ForceDeleteAsync(V1Pod pod)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } });
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Already gone, or a different pod of the same name now.
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _options.Logger.LogWarning(e, "Could not finish deleting pod {Namespace}/{Pod}", pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        }
    }

    private enum StopReason
    {
        None,
        DeadlineExceeded,
        Evicted,
        Deleted,
        Shutdown,
    }

    /// <summary>Runs one pod and keeps its status on the API server up to date.</summary>
    private sealed class PodWorker(SimulatedKubelet kubelet, V1Pod pod, string podIp) : IPodRunObserver, IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _dirty = new(0, 1);
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private PodStatusModel? _status;
        private StopReason _stopReason;
        private string? _stopMessage;
        private bool _statusWriterDone;
        private bool _disposed;
        private string? _lastWritten;

        public string Uid => pod.Metadata.Uid;

        public string Namespace => pod.Metadata.NamespaceProperty;

        public string Name => pod.Metadata.Name;

        public Task Completion => _completion.Task;

        private TimeProvider Time => kubelet._options.Time;

        public void Start() => _ = Task.Run(RunAsync);

        public void Stop(StopReason reason, string? message)
        {
            lock (_stop)
            {
                if (_stopReason != StopReason.None || _disposed)
                {
                    return;
                }

                _stopReason = reason;
                _stopMessage = message;
                _stop.Cancel();
            }
        }

        public void Dispose()
        {
            lock (_stop)
            {
                _disposed = true;
                _stop.Dispose();
                _dirty.Dispose();
            }
        }

        public void ContainerWaiting(string container, string reason, string? message)
        {
            _status?.Waiting(container, reason, message);
            MarkDirty();
        }

        public void ContainerStarted(string container, string containerId, DateTimeOffset startedAt)
        {
            _status?.Started(container, containerId, startedAt);
            MarkDirty();
        }

        public void ContainerTerminated(string container, ContainerTermination termination)
        {
            _status?.Terminated(container, termination);
            MarkDirty();
        }

        public void ContainerOutput(string container, OutputStreamKind stream, ReadOnlySpan<byte> data) =>
            kubelet._logs.Append(Namespace, Name, container, stream, data);

        private async Task RunAsync()
        {
            Task writer = Task.CompletedTask;
            try
            {
                _status = new PodStatusModel(pod, Time.GetUtcNow(), kubelet._options.NodeIp, podIp);
                writer = WriteStatusLoopAsync();
                MarkDirty();
                using var deadline = StartDeadline();
                var request = await ResolveVolumesAsync();
                var outcome = request is null
                    ? new PodRunOutcome(PodRunEnd.Stopped)
                    : await kubelet._runner.RunAsync(request, this, _stop.Token);
                Finish(outcome);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                kubelet._options.Logger.LogError(e, "Pod {Namespace}/{Pod}: the simulated kubelet failed", Namespace, Name);
                _status?.Finish("Failed", "KubeletError", e.Message, Time.GetUtcNow());
            }
            finally
            {
                Volatile.Write(ref _statusWriterDone, true);
                MarkDirty();
                await writer;
                kubelet._finished.TryAdd(Uid, 0);
                kubelet._workers.TryRemove(Uid, out _);
                if (_stopReason == StopReason.Deleted)
                {
                    await kubelet.ForceDeleteAsync(pod);
                }

                Dispose();
                _completion.TrySetResult();
            }
        }

        private void Finish(PodRunOutcome outcome)
        {
            var now = Time.GetUtcNow();
            var status = _status!;
            switch (outcome.End)
            {
                case PodRunEnd.Succeeded:
                    status.Finish("Succeeded", null, null, now);
                    break;
                case PodRunEnd.Failed:
                    status.Finish("Failed", null, null, now);
                    break;
                case PodRunEnd.Unsupported:
                    foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
                    {
                        status.Waiting(container.Name, "CreateContainerConfigError", outcome.Message);
                    }

                    status.Finish("Failed", "UnsupportedPodSpec", outcome.Message, now);
                    kubelet._options.Logger.LogWarning("Pod {Namespace}/{Pod} cannot run here: {Message}", Namespace, Name, outcome.Message);
                    break;
                case PodRunEnd.Stopped:
                    switch (_stopReason)
                    {
                        case StopReason.DeadlineExceeded:
                            status.Finish("Failed", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline", now);
                            break;
                        case StopReason.Evicted:
                            status.Finish("Failed", "Evicted", _stopMessage, now, disruption: true);
                            break;
                        case StopReason.Deleted:
                            status.Finish("Failed", null, null, now);
                            break;
                    }

                    break;
            }
        }

        /// <summary>Reads the ConfigMaps and Secrets the volumes name, waiting (ContainerCreating) while a required one is missing.</summary>
        private async Task<PodRunRequest?> ResolveVolumesAsync()
        {
            var references = VolumeMaterializer.References(pod).ToList();
            while (true)
            {
                var configMaps = new List<V1ConfigMap>();
                var secrets = new List<V1Secret>();
                string? missing = null;
                foreach (var (kind, name, optional) in references)
                {
                    try
                    {
                        if (kind == "ConfigMap")
                        {
                            configMaps.Add(await kubelet._client.CoreV1.ReadNamespacedConfigMapAsync(name, Namespace, cancellationToken: _stop.Token));
                        }
                        else
                        {
                            secrets.Add(await kubelet._client.CoreV1.ReadNamespacedSecretAsync(name, Namespace, cancellationToken: _stop.Token));
                        }
                    }
                    catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                    {
                        missing ??= optional ? null : $"{kind.ToLowerInvariant()} \"{name}\" not found";
                    }
                    catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                    {
                        missing ??= $"could not read {kind.ToLowerInvariant()} \"{name}\": {e.Message}";
                    }
                }

                if (missing is null)
                {
                    return new PodRunRequest(pod, configMaps, secrets);
                }

                kubelet._options.Logger.LogInformation("Pod {Namespace}/{Pod}: MountVolume.SetUp failed: {Missing}", Namespace, Name, missing);
                foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
                {
                    _status!.Waiting(container.Name, "ContainerCreating", $"MountVolume.SetUp failed: {missing}");
                }

                MarkDirty();
                try
                {
                    await Task.Delay(kubelet._options.RetryInterval, Time, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }

        private ITimer? StartDeadline()
        {
            if (pod.Spec.ActiveDeadlineSeconds is not { } seconds)
            {
                return null;
            }

            var due = _status!.StartTime.AddSeconds(seconds) - Time.GetUtcNow();
            return Time.CreateTimer(_ => Stop(StopReason.DeadlineExceeded, null), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        private void MarkDirty()
        {
            try
            {
                _dirty.Release();
            }
            catch (SemaphoreFullException)
            {
                // A write is already due; it will carry this change too.
            }
        }

        /// <summary>Writes the latest status whenever it changed, coalescing changes that come while a write is in flight.</summary>
        private async Task WriteStatusLoopAsync()
        {
            while (true)
            {
                await _dirty.WaitAsync();
                var last = Volatile.Read(ref _statusWriterDone);
                if (!await WriteStatusAsync(_status!.Snapshot()) || last)
                {
                    return;
                }
            }
        }

        private async Task<bool> WriteStatusAsync(V1PodStatus status)
        {
            var body = KubernetesJson.Serialize(new V1Pod { Status = status });
            if (body == _lastWritten)
            {
                return true;
            }

            _lastWritten = body;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await kubelet._client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(body, V1Patch.PatchType.MergePatch), Name, Namespace);
                    return true;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }
                catch (Exception e) when ((e is HttpOperationException or HttpRequestException) && attempt < 20 && !kubelet._shutdown.IsCancellationRequested)
                {
                    kubelet._options.Logger.LogDebug(e, "Pod {Namespace}/{Pod}: status write failed; retrying", Namespace, Name);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * (attempt + 1)));
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                {
                    kubelet._options.Logger.LogWarning(e, "Pod {Namespace}/{Pod}: giving up writing status", Namespace, Name);
                    return false;
                }
            }
        }
    }
}
