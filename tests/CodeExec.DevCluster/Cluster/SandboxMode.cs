using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;

namespace CodeExec.DevCluster.Cluster;

/// <summary>How the simulated kubelet runs sandbox Pods.</summary>
public enum SandboxMode
{
    /// <summary>Each pod in one gVisor (runsc) sandbox: real isolation. Needs runsc and root.</summary>
    GVisor,

    /// <summary>Each container as a plain local process: NO isolation.</summary>
    Process,
}

/// <summary>The chosen <see cref="SandboxMode"/>, why it was chosen, and the runner that implements it.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Why">Why this mode (for example why gVisor could not be used).</param>
public sealed record SandboxSelection(SandboxMode Mode, string Why)
{
    /// <summary>Picks gVisor when it can run here (unless <paramref name="requested"/> says otherwise), else process mode.</summary>
    public static SandboxSelection Choose(SandboxMode? requested, GVisorOptions gvisor)
    {
        ArgumentNullException.ThrowIfNull(gvisor);
        var canRunGVisor = gvisor.CanRun(out var reason);
        return requested switch
        {
            SandboxMode.Process => new(SandboxMode.Process, "--mode process was given"),
            SandboxMode.GVisor when !canRunGVisor => throw new InvalidOperationException($"--mode gvisor: {reason}"),
            SandboxMode.GVisor => new(SandboxMode.GVisor, $"--mode gvisor was given; runsc: {gvisor.Runsc.Description}"),
            _ when canRunGVisor => new(SandboxMode.GVisor, $"running as root; runsc: {gvisor.Runsc.Description}"),
            _ => new(SandboxMode.Process, reason),
        };
    }

    /// <summary>One line saying what the mode means for the code that runs; the process mode says loudly that nothing isolates it.</summary>
    public string Banner => Mode switch
    {
        SandboxMode.GVisor => "gVisor mode: every pod runs in one runsc sandbox, its containers joined to it (no network, pod UID, no capabilities, "
            + "read-only root, one pod cgroup with memory/cpu limits, pids limit). The host's /usr and /etc stand in for the container images.",
        _ => $"process mode: NO isolation, the code runs as a plain local process (as user {Environment.UserName}, with this "
            + "machine's network and files; no securityContext or limit is applied). The host's programs stand in for the images.",
    };

    /// <summary>The pod runner of this mode.</summary>
    public IPodRunner CreateRunner(PodRunnerOptions options, GVisorOptions gvisor) => Mode switch
    {
        SandboxMode.GVisor => PodRunners.GVisor(options, gvisor),
        _ => PodRunners.Process(options),
    };
}
