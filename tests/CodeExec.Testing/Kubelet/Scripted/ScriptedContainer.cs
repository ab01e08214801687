namespace CodeExec.Testing.Kubelet.Scripted;

/// <summary>
/// What one container does in scripted mode. A regular container writes <see cref="Stdout"/> and
/// <see cref="Stderr"/> when it starts, runs for <see cref="Duration"/> (on the kubelet's TimeProvider) and exits with
/// <see cref="ExitCode"/>. On SIGTERM it writes <see cref="StdoutOnTermination"/> and exits with
/// <see cref="ExitCodeOnTermination"/>; that is how a native sidecar such as the sandbox's output collector prints
/// its record when the kubelet stops it.
/// </summary>
public sealed record ScriptedContainer
{
    /// <summary>Bytes written to stdout at start (raw: for the sandbox collector, its framed record as the test builds it).</summary>
    public byte[] Stdout { get; init; } = [];

    /// <summary>Bytes written to stderr at start.</summary>
    public byte[] Stderr { get; init; } = [];

    public int ExitCode { get; init; }

    /// <summary>How long the container runs before it exits by itself.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Never exits by itself: runs until SIGTERM (or SIGKILL if <see cref="IgnoresTermination"/>), e.g. until the deadline.</summary>
    public bool RunsUntilStopped { get; init; }

    /// <summary>Ends as the kernel's OOM killer ends it: exit code 137, reason OOMKilled, after <see cref="Duration"/>.</summary>
    public bool OomKilled { get; init; }

    /// <summary>The image cannot be pulled: the container stays waiting with ErrImagePull / ImagePullBackOff.</summary>
    public bool ImagePullFails { get; init; }

    /// <summary>Bytes written to stdout when SIGTERM arrives.</summary>
    public byte[] StdoutOnTermination { get; init; } = [];

    /// <summary>Exit code after SIGTERM: 143 (128 + SIGTERM) like a process without a handler, unless set.</summary>
    public int ExitCodeOnTermination { get; init; } = 143;

    /// <summary>Does not react to SIGTERM: only SIGKILL (after the grace period) ends it, with 137.</summary>
    public bool IgnoresTermination { get; init; }

    /// <summary>A container that exits 0 at once with no output.</summary>
    public static ScriptedContainer Succeeds { get; } = new();

    /// <summary>A native sidecar that runs until SIGTERM, then prints <paramref name="stdoutOnTermination"/> and exits 0.</summary>
    public static ScriptedContainer Sidecar(byte[]? stdoutOnTermination = null) => new()
    {
        RunsUntilStopped = true,
        StdoutOnTermination = stdoutOnTermination ?? [],
        ExitCodeOnTermination = 0,
    };
}

/// <summary>What the containers of a pod do in scripted mode, by container name.</summary>
public sealed record ScriptedPod
{
    /// <summary>Per container name. Containers not listed use <see cref="Default"/>.</summary>
    public IReadOnlyDictionary<string, ScriptedContainer> Containers { get; init; } = new Dictionary<string, ScriptedContainer>();

    /// <summary>For containers not in <see cref="Containers"/>: null means exit 0 at once (a native sidecar: run until stopped, exit 0).</summary>
    public ScriptedContainer? Default { get; init; }

    /// <summary>A pod whose one (or every) container behaves as <paramref name="container"/>.</summary>
    public static ScriptedPod AllContainers(ScriptedContainer container) => new() { Default = container };

    /// <summary>A pod with the given behaviour per container name.</summary>
    public static ScriptedPod With(params (string Container, ScriptedContainer Behaviour)[] containers) =>
        new() { Containers = containers.ToDictionary(c => c.Container, c => c.Behaviour, StringComparer.Ordinal) };
}
