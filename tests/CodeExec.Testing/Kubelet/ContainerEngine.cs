using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>How one runner mode starts containers; <see cref="EnginePodRunner"/> owns the pod lifecycle around it.</summary>
internal interface IContainerEngine
{
    /// <summary>The scheme of container IDs (<c>scripted://...</c>).</summary>
    string Scheme { get; }

    /// <summary>Checks the pod can be honoured and materialises its volumes. Throws <see cref="UnsupportedPodException"/>.</summary>
    Task<IPodSandbox> PrepareAsync(PodRunRequest request, CancellationToken cancellationToken);
}

/// <summary>One prepared pod: its volumes exist; containers can be started in it. Disposing removes what it made.</summary>
internal interface IPodSandbox : IAsyncDisposable
{
    /// <summary>Starts a container. Throws <see cref="ImagePullFailedException"/> or <see cref="UnsupportedPodException"/>.</summary>
    Task<IRunningContainer> StartAsync(V1Container container, IPodRunObserver observer, CancellationToken cancellationToken);

    /// <summary>Runs an exec probe's command in a running container; true when it exits 0.</summary>
    Task<bool> ProbeAsync(V1Container container, IRunningContainer running, IList<string> command, CancellationToken cancellationToken);
}

/// <summary>A started container.</summary>
internal interface IRunningContainer
{
    string Id { get; }

    DateTimeOffset StartedAt { get; }

    /// <summary>Completes when the container's process has ended and all its output was reported.</summary>
    Task<ContainerExit> Exit { get; }

    /// <summary>Sends SIGTERM (<paramref name="kill"/> false) or SIGKILL.</summary>
    void Signal(bool kill);
}

/// <summary>The end of a container's process; <paramref name="Reason"/> overrides Completed/Error/OOMKilled (e.g. StartError).</summary>
internal sealed record ContainerExit(int ExitCode, bool OomKilled, DateTimeOffset FinishedAt, string? Reason = null, string? Message = null);
