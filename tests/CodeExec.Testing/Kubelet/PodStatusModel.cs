using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// The kubelet's view of one pod's status, built from what the runner reports: phase, conditions, startTime and
/// the per-container states. Thread-safe; <see cref="Snapshot"/> gives a fresh object to write to the API server.
/// </summary>
internal sealed class PodStatusModel
{
    private readonly Lock _lock = new();
    private readonly V1Pod _pod;
    private readonly HashSet<string> _sidecars;
    private readonly Dictionary<string, V1ContainerStatus> _containers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1PodCondition> _conditions = new(StringComparer.Ordinal);
    private string _phase = "Pending";
    private string? _reason;
    private string? _message;

    public PodStatusModel(V1Pod pod, DateTimeOffset now, string hostIp, string podIp)
    {
        _pod = pod;
        _sidecars = (pod.Spec.InitContainers ?? []).Where(c => c.RestartPolicy == "Always").Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        StartTime = now;
        HostIp = hostIp;
        PodIp = podIp;
        foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
        {
            _containers[container.Name] = new V1ContainerStatus
            {
                Name = container.Name,
                Image = container.Image,
                ImageID = "",
                Ready = false,
                Started = false,
                RestartCount = 0,
                State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } },
            };
        }

        var noInit = pod.Spec.InitContainers is not { Count: > 0 };
        SetCondition("PodScheduled", true, null, now);
        SetCondition("Initialized", noInit, noInit ? null : "ContainersNotInitialized", now);
        SetCondition("ContainersReady", false, "ContainersNotReady", now);
        SetCondition("Ready", false, "ContainersNotReady", now);
    }

    public DateTimeOffset StartTime { get; }

    public string HostIp { get; }

    public string PodIp { get; }

    /// <summary>True once the pod reached Succeeded or Failed.</summary>
    public bool IsFinal
    {
        get
        {
            lock (_lock)
            {
                return _phase is "Succeeded" or "Failed";
            }
        }
    }

    public void Waiting(string container, string reason, string? message)
    {
        lock (_lock)
        {
            var status = _containers[container];
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };
        }
    }

    public void Started(string container, string containerId, DateTimeOffset startedAt)
    {
        lock (_lock)
        {
            var status = _containers[container];
            status.ContainerID = containerId;
            status.ImageID = ImageId(status.Image);
            status.Started = true;
            status.Ready = true;
            status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt.UtcDateTime } };
            var regular = _pod.Spec.Containers ?? [];
            if (regular.Any(c => c.Name == container))
            {
                SetCondition("Initialized", true, null, startedAt);
            }

            if (regular.All(c => _containers[c.Name].State.Running is not null))
            {
                _phase = "Running";
                SetCondition("ContainersReady", true, null, startedAt);
                SetCondition("Ready", true, null, startedAt);
            }
        }
    }

    public void Terminated(string container, ContainerTermination termination)
    {
        lock (_lock)
        {
            var status = _containers[container];
            status.ContainerID = termination.ContainerId;
            status.Started = false;
            status.Ready = false;
            status.State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = termination.ExitCode,
                    Reason = termination.Reason,
                    Message = termination.Message,
                    StartedAt = termination.StartedAt.UtcDateTime,
                    FinishedAt = termination.FinishedAt.UtcDateTime,
                    ContainerID = termination.ContainerId,
                },
            };
            if (!_sidecars.Contains(container) && (_pod.Spec.Containers ?? []).Any(c => c.Name == container))
            {
                SetCondition("ContainersReady", false, "PodCompleted", termination.FinishedAt);
                SetCondition("Ready", false, "PodCompleted", termination.FinishedAt);
            }
        }
    }

    /// <summary>Ends the pod in <paramref name="phase"/> with an optional pod-level reason and message.</summary>
    public void Finish(string phase, string? reason, string? message, DateTimeOffset now, bool disruption = false)
    {
        lock (_lock)
        {
            _phase = phase;
            _reason = reason;
            _message = message;
            var notReadyReason = reason is null ? "PodCompleted" : "PodFailed";
            SetCondition("ContainersReady", false, notReadyReason, now);
            SetCondition("Ready", false, notReadyReason, now);
            if (disruption)
            {
                SetCondition("DisruptionTarget", true, "TerminationByKubelet", now, message);
            }
        }
    }

    public V1PodStatus Snapshot()
    {
        lock (_lock)
        {
            return new V1PodStatus
            {
                Phase = _phase,
                Reason = _reason,
                Message = _message,
                StartTime = StartTime.UtcDateTime,
                HostIP = HostIp,
                HostIPs = [new V1HostIP { Ip = HostIp }],
                PodIP = PodIp,
                PodIPs = [new V1PodIP { Ip = PodIp }],
                QosClass = QosClass(_pod),
                Conditions = [.. _conditions.Values.Select(Clone)],
                InitContainerStatuses = (_pod.Spec.InitContainers ?? []).Select(c => Clone(_containers[c.Name])).ToList(),
                ContainerStatuses = (_pod.Spec.Containers ?? []).Select(c => Clone(_containers[c.Name])).ToList(),
            };
        }
    }

    /// <summary>The QoS class the API server would compute: Guaranteed, Burstable or BestEffort.</summary>
    public static string QosClass(V1Pod pod)
    {
        var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToList();
        if (containers.All(c => c.Resources?.Limits is not { Count: > 0 } && c.Resources?.Requests is not { Count: > 0 }))
        {
            return "BestEffort";
        }

        var guaranteed = containers.All(c =>
            c.Resources?.Limits is { } limits
            && limits.ContainsKey("cpu") && limits.ContainsKey("memory")
            && (c.Resources.Requests ?? new Dictionary<string, ResourceQuantity>()).All(r => limits.TryGetValue(r.Key, out var l) && l.Equals(r.Value)));
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    private static string ImageId(string? image) => string.IsNullOrEmpty(image) ? "" : image.Contains('@', StringComparison.Ordinal) ? image : image + "@sha256:" + new string('0', 64);

    private void SetCondition(string type, bool status, string? reason, DateTimeOffset now, string? message = null)
    {
        var value = status ? "True" : "False";
        if (_conditions.TryGetValue(type, out var existing) && existing.Status == value && existing.Reason == reason)
        {
            return;
        }

        _conditions[type] = new V1PodCondition { Type = type, Status = value, Reason = reason, Message = message, LastTransitionTime = now.UtcDateTime };
    }

    private static V1PodCondition Clone(V1PodCondition c) =>
        new() { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastTransitionTime = c.LastTransitionTime };

    private static V1ContainerStatus Clone(V1ContainerStatus s) => new()
    {
        Name = s.Name,
        Image = s.Image,
        ImageID = s.ImageID,
        ContainerID = s.ContainerID,
        Ready = s.Ready,
        Started = s.Started,
        RestartCount = s.RestartCount,
        State = s.State,
    };
}
