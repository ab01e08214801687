namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>Settings of the gVisor mode.</summary>
public sealed record GVisorOptions
{
    /// <summary>The runsc binary (Debian's <c>runsc</c> package installs /usr/bin/runsc).</summary>
    public string RunscPath { get; init; } = "/usr/bin/runsc";

    /// <summary>
    /// Host folders that stand in for the container image, bound read-only at the same path in every sandbox (the
    /// host's top-level symlinks such as /bin -> usr/bin are copied). Add e.g. a .NET install to run a collector.
    /// </summary>
    public IReadOnlyList<string> ImageHostPaths { get; init; } = ["/usr", "/etc"];

    /// <summary>The cgroup (under each controller) that holds one child cgroup per sandbox.</summary>
    public string CgroupParent { get; init; } = "codeexec-kubelet";

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
            reason = $"runsc not found at {RunscPath} (apt-get install runsc)";
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
