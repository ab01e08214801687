using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>Where a volume of the pod lives for the containers: a host folder bound in, or a tmpfs inside the sandbox.</summary>
public abstract record VolumeBinding
{
    /// <summary>A host folder served through the gofer (ConfigMap/Secret files, an emptyDir without a tmpfs mount hint).</summary>
    public sealed record HostFolder(string Path) : VolumeBinding;

    /// <summary>
    /// A tmpfs inside the sentry, named by a gVisor mount hint whose <c>source</c> is <paramref name="Source"/> (the
    /// volume's host folder): every container mount with that source shares the one tmpfs (gVisor
    /// runsc/boot/mount_hints.go, <c>ShouldShareMount</c>). <paramref name="SizeBytes"/>: the emptyDir's sizeLimit.
    /// </summary>
    public sealed record SandboxTmpfs(string Source, long? SizeBytes) : VolumeBinding;
}

/// <summary>Memory and cpu limits (of a container, or of a pod cgroup, see <see cref="PodResources"/>).</summary>
public sealed record SandboxLimits(long? MemoryBytes, long? CpuMillis);

/// <summary>
/// Turns one container of a pod into an OCI runtime spec (config.json) for <c>runsc run</c>: a pure function of the
/// pod, the volume bindings and the image host paths. Every field it cannot honour is refused with
/// <see cref="UnsupportedPodException"/>; the README in this folder has the field-by-field table.
/// </summary>
public static class OciSpecBuilder
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The capabilities a container gets from containerd when it drops none (Docker's default set).</summary>
    private static readonly string[] DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    private static readonly HashSet<string> SupportedLimits = ["cpu", "memory", "ephemeral-storage"];

    /// <summary>Refuses pod-level fields gVisor mode cannot honour (checked once, before any container starts).</summary>
    public static void ValidatePod(V1Pod pod)
    {
        var spec = pod.Spec;
        var problems = new List<string>();
        if (spec.HostNetwork == true)
        {
            problems.Add("hostNetwork: the sandbox always runs with --network=none");
        }

        if (spec.HostPID == true || spec.HostIPC == true)
        {
            problems.Add("hostPID/hostIPC: every sandbox has its own PID and IPC namespaces");
        }

        if (spec.ShareProcessNamespace == true)
        {
            problems.Add("shareProcessNamespace: each container has its own PID namespace in the sandbox");
        }

        if (spec.HostAliases is { Count: > 0 })
        {
            problems.Add("hostAliases: /etc is the host's, read-only");
        }

        if (spec.SecurityContext is { } security)
        {
            if (security.Sysctls is { Count: > 0 })
            {
                problems.Add("securityContext.sysctls");
            }

            if (security.SeLinuxOptions is not null || security.WindowsOptions is not null)
            {
                problems.Add("securityContext.seLinuxOptions/windowsOptions");
            }

            if (security.SeccompProfile is { Type: "Localhost" })
            {
                problems.Add("securityContext.seccompProfile Localhost: gVisor's own syscall filter is the profile (RuntimeDefault)");
            }

            if (security.AppArmorProfile is { Type: "Localhost" })
            {
                problems.Add("securityContext.appArmorProfile Localhost");
            }
        }

        if (problems.Count > 0)
        {
            throw new UnsupportedPodException("gVisor mode cannot honour: " + string.Join("; ", problems));
        }
    }

    /// <summary>The OCI spec of <paramref name="container"/>. <paramref name="rootfs"/> is the pod's skeleton root.</summary>
    public static JsonObject Build(
        V1Pod pod,
        V1Container container,
        IReadOnlyDictionary<string, VolumeBinding> volumes,
        IReadOnlyList<string> imageHostPaths,
        string rootfs,
        string cgroupsPath,
        long? podPidsLimit,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var podSecurity = pod.Spec.SecurityContext;
        var security = container.SecurityContext;
        ValidateContainer(container);

        var uid = security?.RunAsUser ?? podSecurity?.RunAsUser ?? 0;
        var gid = security?.RunAsGroup ?? podSecurity?.RunAsGroup ?? 0;
        if ((security?.RunAsNonRoot ?? podSecurity?.RunAsNonRoot) == true && uid == 0)
        {
            throw new UnsupportedPodException($"container {container.Name}: runAsNonRoot is true but the user is root (the host image has no non-root default user: set runAsUser)");
        }

        var groups = new JsonArray();
        foreach (var group in new[] { podSecurity?.FsGroup }.Concat((podSecurity?.SupplementalGroups ?? []).Select(g => (long?)g)).OfType<long>().Distinct())
        {
            groups.Add(group);
        }

        var env = ContainerCommand.Environment(container);
        var argv = ContainerCommand.Argv(container, env);
        var envArray = new JsonArray("PATH=" + DefaultPath, "HOSTNAME=" + (pod.Spec.Hostname ?? pod.Metadata.Name));
        foreach (var (name, value) in env)
        {
            envArray.Add($"{name}={value}");
        }

        var capabilities = Capabilities(security?.Capabilities);
        var rlimits = new JsonArray();
        if (podPidsLimit is { } pids)
        {
            // The host's pids cgroup would count the sentry's own threads, not the sandboxed tasks; gVisor enforces
            // RLIMIT_NPROC itself, so the pod's pids limit becomes that rlimit.
            rlimits.Add(new JsonObject { ["type"] = "RLIMIT_NPROC", ["hard"] = pids, ["soft"] = pids });
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = uid, ["gid"] = gid, ["additionalGids"] = groups },
                ["args"] = new JsonArray([.. argv.Select(a => (JsonNode)a)]),
                ["env"] = envArray,
                ["cwd"] = container.WorkingDir is { Length: > 0 } workingDir ? workingDir : "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = capabilities.DeepClone(),
                    ["effective"] = capabilities.DeepClone(),
                    ["permitted"] = capabilities.DeepClone(),
                    ["inheritable"] = new JsonArray(),
                    ["ambient"] = new JsonArray(),
                },
                ["rlimits"] = rlimits,
                ["noNewPrivileges"] = security?.AllowPrivilegeEscalation == false,
            },
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true },
            ["hostname"] = pod.Spec.Hostname ?? pod.Metadata.Name,
            ["mounts"] = Mounts(container, volumes, imageHostPaths),
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "network" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" }),
                ["cgroupsPath"] = cgroupsPath,
            },
            ["annotations"] = Annotations(annotations),
        };
    }

    /// <summary>The cgroup limits of a container: memory and cpu from resources.limits.</summary>
    public static SandboxLimits Limits(V1Container container)
    {
        var limits = container.Resources?.Limits;
        long? memory = limits is not null && limits.TryGetValue("memory", out var m) ? m.ToInt64() : null;
        long? cpu = limits is not null && limits.TryGetValue("cpu", out var c) ? (long)Math.Ceiling(c.ToDecimal() * 1000) : null;
        return new SandboxLimits(memory, cpu);
    }

    /// <summary>Every absolute path a container's mounts need in the skeleton root.</summary>
    public static IEnumerable<string> MountPoints(V1Container container) =>
        (container.VolumeMounts ?? []).Select(m => m.MountPath);

    private static void ValidateContainer(V1Container container)
    {
        var problems = new List<string>();
        var security = container.SecurityContext;
        if (security?.Privileged == true)
        {
            problems.Add("privileged");
        }

        if (security?.ReadOnlyRootFilesystem != true)
        {
            problems.Add("readOnlyRootFilesystem must be true: the root is the host filesystem standing in for the image, and it is never writable");
        }

        if (security?.SeLinuxOptions is not null || security?.WindowsOptions is not null || security?.ProcMount is "Unmasked")
        {
            problems.Add("securityContext.seLinuxOptions/windowsOptions/procMount");
        }

        if (security?.SeccompProfile is { Type: "Localhost" } || security?.AppArmorProfile is { Type: "Localhost" })
        {
            problems.Add("securityContext.seccompProfile/appArmorProfile Localhost");
        }

        if (container.LivenessProbe is not null || container.ReadinessProbe is not null)
        {
            problems.Add("liveness/readiness probes");
        }

        if (container.StartupProbe is { } startup && (container.RestartPolicy != "Always" || startup.Exec is null))
        {
            problems.Add("probes: only an exec startupProbe on a native sidecar is supported");
        }

        if (container.Lifecycle is not null)
        {
            problems.Add("lifecycle hooks");
        }

        if (container.Stdin == true || container.Tty == true)
        {
            problems.Add("stdin/tty");
        }

        if (container.VolumeDevices is { Count: > 0 })
        {
            problems.Add("volumeDevices");
        }

        foreach (var limit in (container.Resources?.Limits?.Keys ?? []).Where(k => !SupportedLimits.Contains(k)))
        {
            problems.Add($"resources.limits.{limit}");
        }

        foreach (var mount in container.VolumeMounts ?? [])
        {
            if (mount.MountPropagation is not (null or "None") || !string.IsNullOrEmpty(mount.SubPathExpr))
            {
                problems.Add($"volumeMount {mount.Name}: mountPropagation/subPathExpr");
            }
        }

        if (problems.Count > 0)
        {
            throw new UnsupportedPodException($"gVisor mode cannot honour container {container.Name}: " + string.Join("; ", problems));
        }
    }

    private static JsonArray Capabilities(V1Capabilities? capabilities)
    {
        var drop = capabilities?.Drop ?? [];
        var set = drop.Contains("ALL")
            ? new List<string>()
            : DefaultCapabilities.Where(c => !drop.Contains(c[4..]) && !drop.Contains(c)).ToList();
        foreach (var add in capabilities?.Add ?? [])
        {
            var name = add.StartsWith("CAP_", StringComparison.Ordinal) ? add : "CAP_" + add;
            if (!set.Contains(name))
            {
                set.Add(name);
            }
        }

        return new JsonArray([.. set.Select(c => (JsonNode)c)]);
    }

    private static JsonArray Mounts(V1Container container, IReadOnlyDictionary<string, VolumeBinding> volumes, IReadOnlyList<string> imageHostPaths)
    {
        var mounts = new JsonArray(
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
            new JsonObject { ["destination"] = "/sys", ["type"] = "sysfs", ["source"] = "sysfs", ["options"] = new JsonArray("nosuid", "noexec", "nodev", "ro") });
        foreach (var hostPath in imageHostPaths)
        {
            mounts.Add(Bind(hostPath, hostPath, readOnly: true));
        }

        foreach (var mount in container.VolumeMounts ?? [])
        {
            if (!volumes.TryGetValue(mount.Name, out var binding))
            {
                throw new UnsupportedPodException($"container {container.Name}: volumeMount {mount.Name} names no volume of the pod");
            }

            var readOnly = mount.ReadOnlyProperty == true;
            switch (binding)
            {
                case VolumeBinding.HostFolder folder:
                    var source = string.IsNullOrEmpty(mount.SubPath) ? folder.Path : Path.Combine(folder.Path, mount.SubPath);
                    mounts.Add(Bind(source, mount.MountPath, readOnly));
                    break;
                case VolumeBinding.SandboxTmpfs tmpfs:
                    if (!string.IsNullOrEmpty(mount.SubPath))
                    {
                        // gVisor's shim: "TODO: Support subpath when gvisor supports pod volume bind mount".
                        throw new UnsupportedPodException($"container {container.Name}: subPath on the sandbox tmpfs volume {mount.Name}");
                    }

                    // What containerd-shim-runsc-v1 makes of the kubelet's bind mount of a hinted volume
                    // (pkg/shim/utils/volumes.go, UpdateVolumeAnnotations/changeMountType): type tmpfs, same source,
                    // bind options dropped. runsc then mounts the sandbox's shared tmpfs of that source.
                    var options = new JsonArray("nosuid", "nodev", readOnly ? "ro" : "rw");
                    mounts.Add(new JsonObject { ["destination"] = mount.MountPath, ["type"] = "tmpfs", ["source"] = tmpfs.Source, ["options"] = options });
                    break;
            }
        }

        return mounts;
    }

    private static JsonObject Annotations(IReadOnlyDictionary<string, string>? annotations)
    {
        var json = new JsonObject();
        foreach (var (key, value) in (annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            json[key] = value;
        }

        return json;
    }

    private static JsonObject Bind(string source, string destination, bool readOnly) => new()
    {
        ["destination"] = destination,
        ["type"] = "bind",
        ["source"] = source,
        ["options"] = new JsonArray("rbind", readOnly ? "ro" : "rw"),
    };
}
