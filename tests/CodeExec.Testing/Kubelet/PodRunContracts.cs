using CodeExec.Testing.Emulator;
using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// Runs the containers of one pod to the end, with no API server involved: the simulated kubelet hands it a pod and
/// the ConfigMaps/Secrets its volumes name, and turns what the runner reports into pod status and logs.
/// </summary>
public interface IPodRunner
{
    /// <summary>The scheme of the container IDs this runner reports (<c>scripted</c>, <c>process</c>, <c>runsc</c>).</summary>
    string ContainerIdScheme { get; }

    /// <summary>
    /// Runs <paramref name="request"/>'s pod: init containers and native sidecars, then the regular containers, then
    /// stops the sidecars. Cancelling <paramref name="stopRun"/> stops every container (SIGTERM, the pod's grace period,
    /// then SIGKILL) and ends the run; the reason is the caller's to report. Never throws for a container failure:
    /// the outcome says what happened.
    /// </summary>
    Task<PodRunOutcome> RunAsync(PodRunRequest request, IPodRunObserver observer, CancellationToken stopRun);
}

/// <summary>A pod to run and the objects its volumes refer to.</summary>
/// <param name="Pod">The pod as the API server stores it.</param>
/// <param name="ConfigMaps">ConfigMaps of the pod's namespace named by its volumes (missing ones are simply absent).</param>
/// <param name="Secrets">Secrets of the pod's namespace named by its volumes.</param>
public sealed record PodRunRequest(V1Pod Pod, IReadOnlyList<V1ConfigMap> ConfigMaps, IReadOnlyList<V1Secret> Secrets)
{
    /// <summary>A request for a pod whose volumes name no ConfigMap or Secret.</summary>
    public PodRunRequest(V1Pod pod)
        : this(pod, [], [])
    {
    }
}

/// <summary>Receives what happens to a pod's containers while it runs. Calls may come from several threads.</summary>
public interface IPodRunObserver
{
    /// <summary>The container is not running yet (ContainerCreating, PodInitializing, ErrImagePull, ImagePullBackOff...).</summary>
    void ContainerWaiting(string container, string reason, string? message);

    /// <summary>The container's process started.</summary>
    void ContainerStarted(string container, string containerId, DateTimeOffset startedAt);

    /// <summary>The container's process ended.</summary>
    void ContainerTerminated(string container, ContainerTermination termination);

    /// <summary>The container wrote <paramref name="data"/> to one of its streams.</summary>
    void ContainerOutput(string container, OutputStreamKind stream, ReadOnlySpan<byte> data);
}

/// <summary>How a container ended, as a kubelet reports it in <c>state.terminated</c>.</summary>
/// <param name="ExitCode">The exit code; 128 + signal when a signal ended it (137 for SIGKILL, 143 for SIGTERM).</param>
/// <param name="Reason">Completed, Error or OOMKilled.</param>
public sealed record ContainerTermination(
    int ExitCode,
    string Reason,
    string ContainerId,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string? Message = null)
{
    /// <summary>The kubelet's reason for an exit code: Completed for 0, Error otherwise (OOMKilled is decided by the runner).</summary>
    public static string ReasonFor(int exitCode) => exitCode == 0 ? "Completed" : "Error";
}

/// <summary>How a pod run ended.</summary>
public enum PodRunEnd
{
    /// <summary>Every regular container exited 0.</summary>
    Succeeded,

    /// <summary>A regular or init container exited non-zero (restartPolicy Never).</summary>
    Failed,

    /// <summary>The pod asks for something the runner cannot honour; <see cref="PodRunOutcome.Message"/> says what. No container ran.</summary>
    Unsupported,

    /// <summary>The run was stopped (deadline, eviction, deletion) before the containers ended by themselves.</summary>
    Stopped,
}

/// <summary>The end of a pod run.</summary>
public sealed record PodRunOutcome(PodRunEnd End, string? Message = null);

/// <summary>Thrown by a container engine when the container's image cannot be pulled.</summary>
public sealed class ImagePullFailedException(string image, string message) : Exception(message)
{
    /// <summary>The image that could not be pulled.</summary>
    public string Image { get; } = image;
}

/// <summary>Thrown when a pod (or one of its containers) asks for something a runner cannot honour.</summary>
public sealed class UnsupportedPodException(string message) : Exception(message);
