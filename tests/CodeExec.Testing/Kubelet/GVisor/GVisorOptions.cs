namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>Settings of the gVisor mode.</summary>
public sealed record GVisorOptions
{
    private readonly RunscBinary? _runsc;

    /// <summary>
    /// The runsc binary. Default: <see cref="RunscLocator.Default"/> (<c>$CODEEXEC_RUNSC</c>, then Debian sid's runsc
    /// unpacked by hack/runsc.sh, then <c>runsc</c> on PATH as a fallback).
    /// </summary>
    public string RunscPath
    {
        get => Runsc.Path;
        init => _runsc = RunscLocator.Describe(value, RunscOrigin.Environment);
    }

    /// <summary>The runsc binary with its version and platform (see <see cref="RunscBinary.Description"/>).</summary>
    public RunscBinary Runsc
    {
        get => _runsc ?? RunscLocator.Default;
        init => _runsc = value;
    }

    /// <summary>
    /// Host folders that stand in for the container image, bound read-only at the same path in every container (the
    /// host's top-level symlinks such as /bin -> usr/bin are copied). Add e.g. a .NET install to run a collector.
    /// </summary>
    public IReadOnlyList<string> ImageHostPaths { get; init; } = ["/usr", "/etc"];

    /// <summary>The cgroup (under each controller) that holds one pod cgroup (<c>pod&lt;uid&gt;</c>) per pod.</summary>
    public string CgroupParent { get; init; } = "codeexec-kubelet";

    /// <summary>
    /// The memory limit of <see cref="CgroupParent"/>, like the kubelet's node-allocatable limit on kubepods: a pod
    /// without a pod-level limit (some container declares none) is still bounded by it, and so is the host. Default
    /// 2 GiB.
    /// </summary>
    public long NodeAllocatableMemoryBytes { get; init; } = 2L << 30;

    /// <summary>
    /// When true (default), an emptyDir with <c>medium: Memory</c> that the pod gives no gVisor mount hint for gets the
    /// hint <c>type: tmpfs</c> (<c>share: pod</c> when several containers mount it, else <c>container</c>), so it is a
    /// tmpfs inside the sentry, as on a node that adds these hints; false: it is the kubelet's host tmpfs, served to
    /// the sandbox through the gofer (a node without hints). See README.md, "Volumes".
    /// </summary>
    public bool MemoryEmptyDirsInsideSandbox { get; init; } = true;

    /// <summary>
    /// When set, every runsc command runs with <c>--debug --debug-log=&lt;folder&gt;/</c> (one log per command and per
    /// sandbox process). Default: <c>$CODEEXEC_RUNSC_DEBUG_LOG</c>.
    /// </summary>
    public string? DebugLogDirectory { get; init; } = System.Environment.GetEnvironmentVariable("CODEEXEC_RUNSC_DEBUG_LOG") is { Length: > 0 } d ? d : null;

    /// <summary>True when this process can run gVisor sandboxes: runsc exists and we are root.</summary>
    public bool CanRun(out string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "gVisor mode needs Linux";
            return false;
        }

        if (!File.Exists(RunscPath))
        {
            reason = $"runsc not found ({Runsc.Description}): run hack/runsc.sh (Debian sid's runsc, into a cache) or apt-get install runsc";
            return false;
        }

        if (System.Environment.UserName != "root")
        {
            reason = "gVisor mode needs root (runsc run creates namespaces and cgroups)";
            return false;
        }

        reason = "";
        return true;
    }
}
