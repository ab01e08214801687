using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>
/// gVisor mode: one runsc sandbox per pod, as containerd-shim-runsc-v1 runs pods on a gVisor node. The pod sandbox
/// (a pause-like root container) starts first, in the pod cgroup; each container then joins it through runsc's CRI
/// annotations (<c>io.kubernetes.cri.container-type: container</c>, <c>io.kubernetes.cri.sandbox-id</c>; gVisor
/// runsc/specutils/cri.go), created, started and waited for like the shim does (<c>runsc create</c>, <c>start</c>
/// with the container's stdio, <c>wait</c>; pkg/shim/v1/proc/init.go). The host filesystem
/// (<see cref="GVisorOptions.ImageHostPaths"/>, read-only) stands in for the images. See README.md in this folder.
/// </summary>
internal sealed class GVisorEngine(PodRunnerOptions options, GVisorOptions gvisor) : IContainerEngine
{
    /// <summary>containerd's CRI annotation saying whether a spec is the pod sandbox or a container in it.</summary>
    public const string ContainerTypeAnnotation = "io.kubernetes.cri.container-type";

    /// <summary>containerd's CRI annotation naming the sandbox a container joins.</summary>
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";

    /// <summary>containerd's CRI annotation with the container's name (runsc uses it for per-container settings).</summary>
    public const string ContainerNameAnnotation = "io.kubernetes.cri.container-name";

    /// <summary>The annotation containerd-shim-runsc-v1 sets to put the sandbox into the pod cgroup (pkg/shim/v1/runsc/service.go).</summary>
    public const string CgroupParentAnnotation = "dev.gvisor.spec.cgroup-parent";

    /// <summary>Prefix of gVisor's mount hints: <c>dev.gvisor.spec.mount.&lt;volume&gt;.{source,type,share,options}</c> (runsc/boot/mount_hints.go).</summary>
    public const string MountHintPrefix = "dev.gvisor.spec.mount.";

    /// <summary>The exit code containerd-shim-runsc-v1 reports when <c>runsc wait</c> fails, e.g. because the sandbox died (pkg/shim/v1/proc/utils.go, <c>internalErrorCode</c>).</summary>
    public const int InternalErrorExitCode = 128;

    private static int s_announced;
    private readonly string _workDirectory = options.ResolveWorkDirectory("gvisor");

    public string Scheme => "runsc";

    public Task<IPodSandbox> PrepareAsync(PodRunRequest request, CancellationToken cancellationToken)
    {
        if (!gvisor.CanRun(out var reason))
        {
            throw new UnsupportedPodException(reason);
        }

        if (Interlocked.Exchange(ref s_announced, 1) == 0 || gvisor.Runsc.Platform == "ptrace")
        {
            var level = gvisor.Runsc.Platform == "ptrace" ? LogLevel.Warning : LogLevel.Information;
            options.Logger.Log(level, "gVisor mode: runsc {Runsc}", gvisor.Runsc.Description);
        }

        var pod = request.Pod;
        OciSpecBuilder.ValidatePod(pod);
        var podId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..12];
        var folder = Path.Combine(_workDirectory, podId);
        var sandbox = new GVisorSandbox(pod, podId, folder, options, gvisor);
        try
        {
            sandbox.Prepare(request);
            return Task.FromResult<IPodSandbox>(sandbox);
        }
        catch
        {
            sandbox.Cleanup();
            throw;
        }
    }

    /// <summary>One pod: its sandbox (root container), its pod cgroup, its volumes.</summary>
    internal sealed class GVisorSandbox(V1Pod pod, string podId, string folder, PodRunnerOptions options, GVisorOptions gvisor) : IPodSandbox
    {
        private readonly Dictionary<string, JsonObject> _specs = new(StringComparer.Ordinal);
        private readonly List<string> _hostTmpfsMounts = [];
        private readonly string _stateFolder = Path.Combine(folder, "state");
        private readonly string _rootfs = Path.Combine(folder, "rootfs");
        private SandboxCgroup? _podCgroup;
        private bool _sandboxStarted;

        /// <summary>
        /// The runsc id of the pod sandbox (its root container), which every container names in
        /// <c>io.kubernetes.cri.sandbox-id</c>. Ids end with the pod id so that none is a prefix of another: runsc
        /// accepts unique id prefixes and refuses an id that is a prefix of others as ambiguous.
        /// </summary>
        public string SandboxId => $"POD.{podId}";

        /// <summary>The pod cgroup's path relative to each hierarchy ("/codeexec-kubelet/pod&lt;uid&gt;").</summary>
        public string PodCgroupPath => $"/{gvisor.CgroupParent}/pod{pod.Metadata.Uid ?? podId}";

        public void Prepare(PodRunRequest request)
        {
            var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToList();
            var hostFolders = VolumeMaterializer.Materialize(request, Path.Combine(folder, "volumes"));
            var bindings = new Dictionary<string, VolumeBinding>(StringComparer.Ordinal);
            var hints = MountHints.ForPod(pod, hostFolders, gvisor.MemoryEmptyDirsInsideSandbox);
            foreach (var volume in pod.Spec.Volumes ?? [])
            {
                bindings[volume.Name] = Bind(volume, hostFolders[volume.Name], hints);
            }

            MakeRootfs(containers);
            Directory.CreateDirectory(_stateFolder);
            foreach (var container in containers)
            {
                var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [ContainerTypeAnnotation] = "container",
                    [SandboxIdAnnotation] = SandboxId,
                    [ContainerNameAnnotation] = container.Name,
                };
                _specs[container.Name] = OciSpecBuilder.Build(pod, container, bindings, gvisor.ImageHostPaths, _rootfs,
                    $"{PodCgroupPath}/{ContainerId(container)}", options.PodPidsLimit, annotations);
            }

            // The pod cgroup first (the kubelet's pod-level cgroup), then the sandbox in it (RunPodSandbox).
            SandboxCgroup.LimitParent(gvisor.CgroupParent, gvisor.NodeAllocatableMemoryBytes);
            _podCgroup = SandboxCgroup.Create(gvisor.CgroupParent, $"pod{pod.Metadata.Uid ?? podId}", PodResources.Limits(pod));
            StartPodSandbox(hints.Annotations);
        }

        public Task<IRunningContainer> StartAsync(V1Container container, IPodRunObserver observer, CancellationToken cancellationToken)
        {
            var id = ContainerId(container);
            var bundle = Path.Combine(folder, "bundles", container.Name);
            Directory.CreateDirectory(bundle);
            File.WriteAllText(Path.Combine(bundle, "config.json"), _specs[container.Name].ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            options.Logger.LogInformation("Pod {Namespace}/{Pod} container {Container}: runsc create/start {Id} in sandbox {Sandbox}",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, container.Name, id, SandboxId);

            // runsc create makes the container (and its gofer) in the sandbox; its own output goes to a log, not to
            // the container's streams.
            var (created, createLog) = RunscDetached("create", "--bundle", bundle, id);
            if (created != 0)
            {
                var now = options.Time.GetUtcNow();
                return Task.FromResult<IRunningContainer>(new FailedContainer(id, now, new ContainerExit(InternalErrorExitCode, false, now, "StartError", createLog)));
            }

            // runsc start donates its stdio to the sandbox as the container's (runsc/container/container.go, Start):
            // the pipes end when the container's process has exited.
            var start = new ProcessStartInfo(gvisor.RunscPath)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in GlobalArgs.Append("start").Append(id))
            {
                start.ArgumentList.Add(arg);
            }

            return Task.FromResult<IRunningContainer>(new GVisorContainer(id, container.Name, start, this, observer, options.Time));
        }

        public Task<bool> ProbeAsync(V1Container container, IRunningContainer running, IList<string> command, CancellationToken cancellationToken)
        {
            // runsc exec runs the command in the container, as the container's user and environment.
            string[] args = [.. GlobalArgs, "exec", ContainerId(container), .. command];
            return Task.Run(() => HostProcess.Run(gvisor.RunscPath, args).ExitCode == 0, cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            Cleanup();
            return ValueTask.CompletedTask;
        }

        public void Cleanup()
        {
            if (_sandboxStarted)
            {
                // Deleting the root container destroys the sandbox and every container in it (StopPodSandbox).
                Runsc("kill", "--all", SandboxId, "KILL");
                Runsc("delete", "--force", SandboxId);
            }

            _podCgroup?.Remove();
            foreach (var mount in _hostTmpfsMounts)
            {
                HostProcess.Run("umount", "-l", mount);
            }

            LocalProcess.ProcessEngine.DeleteQuietly(folder);
        }

        public (int ExitCode, string Stderr) Runsc(params string[] args) =>
            HostProcess.Run(gvisor.RunscPath, [.. GlobalArgs, .. args]);

        /// <summary>Whether the sandbox process is still alive (<c>runsc state</c> of the root container says running).</summary>
        public bool SandboxRunning()
        {
            var start = new ProcessStartInfo(gvisor.RunscPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in GlobalArgs.Append("state").Append(SandboxId))
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = stderr.Result;
            return process.ExitCode == 0 && JsonNode.Parse(stdout)?["status"]?.GetValue<string>() == "running";
        }

        /// <summary>OOM kills the host counted in the pod cgroup.</summary>
        public long PodOomKills() => _podCgroup?.OomKills() ?? 0;

        /// <summary>The exit status <c>runsc wait</c> reports, or null and its error when it fails (the sandbox is gone).</summary>
        public (int? Status, string Error) Wait(string id)
        {
            var start = new ProcessStartInfo(gvisor.RunscPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in GlobalArgs.Append("wait").Append(id))
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                return (null, stderr.Result.Trim());
            }

            // runsc/cmd/wait.go prints {"id": ..., "exitStatus": N}; a signal is 128 + its number.
            return (JsonNode.Parse(stdout)?["exitStatus"]?.GetValue<int>(), "");
        }

        private IEnumerable<string> GlobalArgs => gvisor.DebugLogDirectory is { } debug
            ? ["--root", _stateFolder, "--platform=" + gvisor.Runsc.Platform, "--network=none", "--debug", "--debug-log=" + debug.TrimEnd('/') + "/"]
            : ["--root", _stateFolder, "--platform=" + gvisor.Runsc.Platform, "--network=none"];

        private string ContainerId(V1Container container) => $"{container.Name}.{podId}";

        /// <summary>Runs a runsc command whose children outlive it (create/run --detach): its stdio goes to a log file, so no pipe is held open.</summary>
        private (int ExitCode, string Log) RunscDetached(params string[] args)
        {
            var log = Path.Combine(folder, "runsc-" + args[0] + "-" + args[^1] + ".log");
            string[] shell = ["-c", "exec \"$0\" \"$@\" </dev/null >\"$RUNSC_LOG\" 2>&1", gvisor.RunscPath, .. GlobalArgs, .. args];
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in shell)
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["RUNSC_LOG"] = log;
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            var text = File.Exists(log) ? File.ReadAllText(log).Trim() : "";
            return (process.ExitCode, text);
        }

        /// <summary>
        /// Starts the pod sandbox: a root container (<c>container-type: sandbox</c>) running a pause process, in the
        /// pod cgroup (<c>dev.gvisor.spec.cgroup-parent</c>), carrying the pod's mount hints.
        /// </summary>
        private void StartPodSandbox(IReadOnlyDictionary<string, string> mountHints)
        {
            var annotations = new Dictionary<string, string>(mountHints, StringComparer.Ordinal)
            {
                [ContainerTypeAnnotation] = "sandbox",
                [SandboxIdAnnotation] = SandboxId,
                [ContainerNameAnnotation] = "POD",
                [CgroupParentAnnotation] = PodCgroupPath,
            };
            var pause = new V1Container
            {
                Name = "POD",
                // The host "image" has no pause binary; sleep never exits and the sandbox is destroyed with SIGKILL.
                Command = ["/usr/bin/sleep", "infinity"],
                SecurityContext = new V1SecurityContext
                {
                    RunAsUser = 65535,
                    RunAsGroup = 65535,
                    ReadOnlyRootFilesystem = true,
                    AllowPrivilegeEscalation = false,
                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                },
            };
            var pausePod = new V1Pod { Metadata = pod.Metadata, Spec = new V1PodSpec { Hostname = pod.Spec.Hostname, Containers = [pause] } };
            var spec = OciSpecBuilder.Build(pausePod, pause, new Dictionary<string, VolumeBinding>(), gvisor.ImageHostPaths, _rootfs,
                $"{PodCgroupPath}/{SandboxId}", null, annotations);
            var bundle = Path.Combine(folder, "bundles", "POD");
            Directory.CreateDirectory(bundle);
            File.WriteAllText(Path.Combine(bundle, "config.json"), spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            options.Logger.LogInformation("Pod {Namespace}/{Pod}: runsc run --detach {Sandbox} (pod sandbox) in cgroup {Cgroup}",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, SandboxId, PodCgroupPath);
            var (exitCode, log) = RunscDetached("run", "--detach", "--bundle", bundle, SandboxId);
            _sandboxStarted = true;
            if (exitCode != 0)
            {
                throw new UnsupportedPodException($"runsc could not start the pod sandbox: {log}");
            }
        }

        /// <summary>
        /// A volume's binding: a hinted one (type tmpfs) is a tmpfs inside the sandbox, shared by source; anything else
        /// is the host folder served by the gofer, as runsc does without hints. An unhinted <c>medium: Memory</c>
        /// emptyDir is a host tmpfs of its sizeLimit, as the kubelet mounts it (pkg/volume/emptydir).
        /// </summary>
        private VolumeBinding Bind(V1Volume volume, string hostFolder, MountHints hints)
        {
            if (hints.IsSandboxTmpfs(volume.Name))
            {
                return new VolumeBinding.SandboxTmpfs(hostFolder, volume.EmptyDir?.SizeLimit?.ToInt64());
            }

            if (volume.EmptyDir is { Medium: "Memory" } emptyDir)
            {
                long? size = emptyDir.SizeLimit?.ToInt64();
                var mountOptions = "mode=1777" + (size is { } bytes ? ",size=" + bytes.ToString(CultureInfo.InvariantCulture) : "");
                var (exitCode, stderr) = HostProcess.Run("mount", "-t", "tmpfs", "-o", mountOptions, "tmpfs", hostFolder);
                if (exitCode != 0)
                {
                    throw new UnsupportedPodException($"emptyDir {volume.Name}: could not mount a host tmpfs: {stderr.Trim()}");
                }

                _hostTmpfsMounts.Add(hostFolder);
            }

            return new VolumeBinding.HostFolder(hostFolder);
        }

        /// <summary>
        /// The sandbox root: an empty read-only skeleton holding the host's top-level symlinks (/bin -> usr/bin) and a
        /// folder for every mount point, so runsc never has to create a mount point (it would create it on the host).
        /// </summary>
        private void MakeRootfs(List<V1Container> containers)
        {
            Directory.CreateDirectory(_rootfs);
            foreach (var entry in new DirectoryInfo("/").EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is { } target)
                {
                    File.CreateSymbolicLink(Path.Combine(_rootfs, entry.Name), target);
                }
            }

            var points = new List<string> { "/proc", "/sys" };
            points.AddRange(gvisor.ImageHostPaths);
            foreach (var container in containers)
            {
                foreach (var mountPoint in OciSpecBuilder.MountPoints(container))
                {
                    if (gvisor.ImageHostPaths.Any(image => IsUnder(mountPoint, image)) && !Directory.Exists(mountPoint))
                    {
                        throw new UnsupportedPodException($"container {container.Name}: mountPath {mountPoint} lies in the read-only host image and does not exist there");
                    }

                    points.Add(mountPoint);
                }

                if (container.WorkingDir is { Length: > 0 } workingDir && !gvisor.ImageHostPaths.Any(image => IsUnder(workingDir, image)))
                {
                    points.Add(workingDir);
                }
            }

            foreach (var point in points.Where(p => !gvisor.ImageHostPaths.Any(image => IsUnder(p, image) && p != image)))
            {
                Directory.CreateDirectory(Path.Combine(_rootfs, point.TrimStart('/')));
            }
        }

        private static bool IsUnder(string path, string folder) =>
            path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
    }

    /// <summary>A container runsc could not create: it never ran.</summary>
    private sealed class FailedContainer(string id, DateTimeOffset at, ContainerExit exit) : IRunningContainer
    {
        public string Id => id;

        public DateTimeOffset StartedAt => at;

        public Task<ContainerExit> Exit { get; } = Task.FromResult(exit);

        public void Signal(bool kill)
        {
        }
    }

    private sealed class GVisorContainer : IRunningContainer
    {
        private readonly string _runscId;
        private readonly GVisorSandbox _sandbox;
        private int _killed;

        public GVisorContainer(string runscId, string name, ProcessStartInfo start, GVisorSandbox sandbox, IPodRunObserver observer, TimeProvider time)
        {
            _runscId = runscId;
            _sandbox = sandbox;
            Id = runscId;
            StartedAt = time.GetUtcNow();
            var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = HostProcess.PumpAsync(process.StandardOutput.BaseStream, name, OutputStreamKind.Stdout, observer);
            var stderr = HostProcess.PumpAsync(process.StandardError.BaseStream, name, OutputStreamKind.Stderr, observer);
            Exit = WaitAsync(process, stdout, stderr, time);
        }

        public string Id { get; }

        public DateTimeOffset StartedAt { get; }

        public Task<ContainerExit> Exit { get; }

        public void Signal(bool kill)
        {
            if (Exit.IsCompleted)
            {
                return;
            }

            if (kill)
            {
                Interlocked.Exchange(ref _killed, 1);
            }

            _sandbox.Runsc("kill", _runscId, kill ? "KILL" : "TERM");
        }

        private async Task<ContainerExit> WaitAsync(Process process, Task stdout, Task stderr, TimeProvider time)
        {
            using (process)
            {
                await process.WaitForExitAsync();
                if (process.ExitCode != 0)
                {
                    // runsc start failed: the process never ran (its error is on the container's stderr).
                    await Task.WhenAll(stdout, stderr);
                    return new ContainerExit(InternalErrorExitCode, false, time.GetUtcNow(), "StartError", $"runsc start exited with {process.ExitCode}");
                }

                var (status, waitError) = await Task.Run(() => _sandbox.Wait(_runscId));

                // The container's init has exited: kill what it left behind, as the shim does (Init.KillAll), so no
                // orphan keeps the output pipes open.
                _sandbox.Runsc("kill", "--all", _runscId, "KILL");
                await Task.WhenAll(stdout, stderr);
                var finishedAt = time.GetUtcNow();
                if (status is { } exitCode)
                {
                    _sandbox.Runsc("delete", "--force", _runscId);

                    // Inside one sandbox no container is OOM-killed on its own: gVisor does not apply per-container
                    // memory limits (subcontainer cgroups "have no effect", runsc/container/container.go), so the exit
                    // code is what the process did (e.g. 1 after a failed allocation). README.md, "Memory".
                    return new ContainerExit(exitCode, false, finishedAt);
                }

                // runsc wait failed: the sandbox is gone. The shim reports internalErrorCode (128); an OOM kill counted
                // in the pod cgroup while the sandbox died makes it OOMKilled (the shim's OOM poller watches the
                // sandbox's cgroup, pkg/shim/v1/runsc/service.go).
                var oomKilled = Volatile.Read(ref _killed) == 0 && !_sandbox.SandboxRunning() && _sandbox.PodOomKills() > 0;
                return new ContainerExit(InternalErrorExitCode, oomKilled, finishedAt, null,
                    oomKilled ? "the pod sandbox was killed by the host OOM killer (pod cgroup memory limit)" : "runsc wait failed: " + waitError);
            }
        }
    }
}
