using System.Globalization;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>
/// The pod cgroup, made and owned by the kubelet as on a real node (kubepods/.../pod&lt;uid&gt;, limits from
/// <see cref="PodResources"/>): the sandbox runs in it (containerd-shim-runsc-v1 points runsc at it with the
/// <c>dev.gvisor.spec.cgroup-parent</c> annotation, pkg/shim/v1/runsc/service.go), runsc only adds empty child cgroups,
/// and the kubelet reads the OOM-kill counter after the run. cgroup v1 (a hierarchy per controller) and v2 (one
/// unified hierarchy) are both handled.
/// </summary>
internal sealed class SandboxCgroup
{
    private const string Root = "/sys/fs/cgroup";
    private const long CpuPeriodMicros = 100_000;
    private readonly List<string> _folders = [];
    private readonly string _memoryFolder;
    private readonly bool _v2;

    private SandboxCgroup(string relativePath)
    {
        RelativePath = relativePath;
        _v2 = !Directory.Exists(Path.Combine(Root, "memory")) && File.Exists(Path.Combine(Root, "cgroup.controllers"));
        _memoryFolder = _v2 ? Path.Combine(Root, relativePath) : Path.Combine(Root, "memory", relativePath);
    }

    /// <summary>The cgroupsPath of the OCI spec ("/parent/id").</summary>
    public string CgroupsPath => "/" + RelativePath;

    private string RelativePath { get; }

    /// <summary>Makes the cgroup and writes the limits.</summary>
    public static SandboxCgroup Create(string parent, string id, SandboxLimits limits)
    {
        var cgroup = new SandboxCgroup($"{parent}/{id}");
        cgroup.Apply(limits);
        return cgroup;
    }

    /// <summary>Sets the memory limit of the parent of all pod cgroups (the node-allocatable limit of kubepods).</summary>
    public static void LimitParent(string parent, long memoryBytes)
    {
        var v2 = !Directory.Exists(Path.Combine(Root, "memory")) && File.Exists(Path.Combine(Root, "cgroup.controllers"));
        var folder = v2 ? Path.Combine(Root, parent) : Path.Combine(Root, "memory", parent);
        Directory.CreateDirectory(folder);
        Write(folder, v2 ? "memory.max" : "memory.limit_in_bytes", memoryBytes);
    }

    /// <summary>How many times the kernel's OOM killer fired in this cgroup.</summary>
    public long OomKills()
    {
        var file = Path.Combine(_memoryFolder, _v2 ? "memory.events" : "memory.oom_control");
        if (!File.Exists(file))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(' ');
            if (parts is ["oom_kill", var count])
            {
                return long.Parse(count, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>
    /// Removes the cgroup and the children runsc made in it (one empty cgroup per container, see gVisor
    /// runsc/container/container.go <c>setupCgroupForSubcontainer</c>), under every controller, deepest first.
    /// </summary>
    public void Remove()
    {
        var roots = _v2 ? [Path.Combine(Root, RelativePath)] : Directory.EnumerateDirectories(Root).Select(c => Path.Combine(c, RelativePath));
        foreach (var folder in roots.Concat(_folders).Distinct().Where(Directory.Exists).ToList())
        {
            RemoveTree(folder);
        }
    }

    private static void RemoveTree(string folder)
    {
        foreach (var child in Directory.Exists(folder) ? Directory.GetDirectories(folder) : [])
        {
            RemoveTree(child);
        }

        for (var attempt = 0; attempt < 40 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                // The last task of the sandbox may still be leaving it.
                Thread.Sleep(50);
            }
        }
    }

    private void Apply(SandboxLimits limits)
    {
        if (_v2)
        {
            EnableControllers();
            var folder = MakeFolder(Path.Combine(Root, RelativePath));
            if (limits.MemoryBytes is { } memory)
            {
                Write(folder, "memory.max", memory);
                Write(folder, "memory.swap.max", 0);
            }

            if (limits.CpuMillis is { } cpu)
            {
                File.WriteAllText(Path.Combine(folder, "cpu.max"), $"{cpu * CpuPeriodMicros / 1000} {CpuPeriodMicros}");
            }

            return;
        }

        var memoryFolder = MakeFolder(_memoryFolder);
        if (limits.MemoryBytes is { } bytes)
        {
            Write(memoryFolder, "memory.limit_in_bytes", bytes);
            if (File.Exists(Path.Combine(memoryFolder, "memory.memsw.limit_in_bytes")))
            {
                Write(memoryFolder, "memory.memsw.limit_in_bytes", bytes);
            }
        }

        if (limits.CpuMillis is { } millis)
        {
            var cpuFolder = MakeFolder(Path.Combine(Root, "cpu", RelativePath));
            Write(cpuFolder, "cpu.cfs_period_us", CpuPeriodMicros);
            Write(cpuFolder, "cpu.cfs_quota_us", millis * CpuPeriodMicros / 1000);
        }
    }

    private void EnableControllers()
    {
        // v2 hands a controller to children only when every ancestor lists it in cgroup.subtree_control.
        var parentFolder = Path.Combine(Root, Path.GetDirectoryName(RelativePath)!);
        Directory.CreateDirectory(parentFolder);
        foreach (var folder in new[] { Root, parentFolder })
        {
            var control = Path.Combine(folder, "cgroup.subtree_control");
            var current = File.ReadAllText(control);
            foreach (var controller in new[] { "memory", "cpu", "pids" }.Where(c => !current.Contains(c, StringComparison.Ordinal)))
            {
                File.WriteAllText(control, "+" + controller);
            }
        }
    }

    private string MakeFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        _folders.Add(folder);
        return folder;
    }

    private static void Write(string folder, string file, long value) =>
        File.WriteAllText(Path.Combine(folder, file), value.ToString(CultureInfo.InvariantCulture));
}
