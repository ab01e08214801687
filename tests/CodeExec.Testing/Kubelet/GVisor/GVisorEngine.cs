using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>
/// gVisor mode: each container of a pod is its own gVisor sandbox, an OCI bundle run with
/// <c>runsc --network=none run</c> as root. The host filesystem (<see cref="GVisorOptions.ImageHostPaths"/>, read-only)
/// stands in for the image. See README.md in this folder for the pod-field to OCI mapping.
/// </summary>
internal sealed class GVisorEngine(PodRunnerOptions options, GVisorOptions gvisor) : IContainerEngine
{
    private readonly string _workDirectory = options.ResolveWorkDirectory("gvisor");

    public string Scheme => "runsc";

    public Task<IPodSandbox> PrepareAsync(PodRunRequest request, CancellationToken cancellationToken)
    {
        if (!gvisor.CanRun(out var reason))
        {
            throw new UnsupportedPodException(reason);
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

    private sealed class GVisorSandbox(V1Pod pod, string podId, string folder, PodRunnerOptions options, GVisorOptions gvisor) : IPodSandbox
    {
        private readonly Dictionary<string, JsonObject> _specs = new(StringComparer.Ordinal);
        private readonly List<string> _hostTmpfsMounts = [];
        private readonly string _stateFolder = Path.Combine(folder, "state");
        private readonly string _rootfs = Path.Combine(folder, "rootfs");

        public void Prepare(PodRunRequest request)
        {
            var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToList();
            var hostFolders = VolumeMaterializer.Materialize(request, Path.Combine(folder, "volumes"));
            var bindings = new Dictionary<string, VolumeBinding>(StringComparer.Ordinal);
            foreach (var volume in pod.Spec.Volumes ?? [])
            {
                bindings[volume.Name] = Bind(volume, hostFolders[volume.Name], containers.Count(c => (c.VolumeMounts ?? []).Any(m => m.Name == volume.Name)));
            }

            MakeRootfs(containers);
            Directory.CreateDirectory(_stateFolder);
            foreach (var container in containers)
            {
                var id = SandboxId(container);
                _specs[container.Name] = OciSpecBuilder.Build(pod, container, bindings, gvisor.ImageHostPaths, _rootfs,
                    $"/{gvisor.CgroupParent}/{id}", options.PodPidsLimit);
            }
        }

        public Task<IRunningContainer> StartAsync(V1Container container, IPodRunObserver observer, CancellationToken cancellationToken)
        {
            var id = SandboxId(container);
            var bundle = Path.Combine(folder, "bundles", container.Name);
            Directory.CreateDirectory(bundle);
            File.WriteAllText(Path.Combine(bundle, "config.json"), _specs[container.Name].ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var cgroup = SandboxCgroup.Create(gvisor.CgroupParent, id, OciSpecBuilder.Limits(container));
            var start = new ProcessStartInfo(gvisor.RunscPath)
            {
                ArgumentList = { "--root", _stateFolder, "--platform=" + gvisor.Runsc.Platform, "--network=none", "run", "--bundle", bundle, id },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            options.Logger.LogInformation("Pod {Namespace}/{Pod} container {Container}: runsc run {Id}",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, container.Name, id);
            return Task.FromResult<IRunningContainer>(new GVisorContainer(id, container.Name, start, cgroup, this, observer, options.Time));
        }

        public Task<bool> ProbeAsync(V1Container container, IRunningContainer running, IList<string> command, CancellationToken cancellationToken)
        {
            // runsc exec runs the command in the container's sandbox, as the container's user and environment.
            string[] args = ["--root", _stateFolder, "exec", SandboxId(container), .. command];
            return Task.Run(() => HostProcess.Run(gvisor.RunscPath, args).ExitCode == 0, cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            Cleanup();
            return ValueTask.CompletedTask;
        }

        public void Cleanup()
        {
            foreach (var mount in _hostTmpfsMounts)
            {
                HostProcess.Run("umount", "-l", mount);
            }

            LocalProcess.ProcessEngine.DeleteQuietly(folder);
        }

        public void Runsc(params string[] args) =>
            HostProcess.Run(gvisor.RunscPath, ["--root", _stateFolder, .. args]);

        private string SandboxId(V1Container container) => $"codeexec-{podId}-{container.Name}";

        /// <summary>An emptyDir one container mounts is a tmpfs inside its sandbox; one shared by several is a host folder (a host tmpfs of sizeLimit when it has one).</summary>
        private VolumeBinding Bind(V1Volume volume, string hostFolder, int mountedBy)
        {
            if (volume.EmptyDir is not { } emptyDir)
            {
                return new VolumeBinding.HostFolder(hostFolder);
            }

            long? size = emptyDir.SizeLimit?.ToInt64();
            if (mountedBy <= 1)
            {
                return new VolumeBinding.Tmpfs(size);
            }

            if (size is not null || emptyDir.Medium == "Memory")
            {
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

    private sealed class GVisorContainer : IRunningContainer
    {
        private readonly string _runscId;
        private readonly GVisorSandbox _sandbox;
        private int _killed;

        public GVisorContainer(string runscId, string name, ProcessStartInfo start, SandboxCgroup cgroup, GVisorSandbox sandbox, IPodRunObserver observer, TimeProvider time)
        {
            _runscId = runscId;
            _sandbox = sandbox;
            Id = runscId;
            StartedAt = time.GetUtcNow();
            var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = HostProcess.PumpAsync(process.StandardOutput.BaseStream, name, OutputStreamKind.Stdout, observer);
            var stderr = HostProcess.PumpAsync(process.StandardError.BaseStream, name, OutputStreamKind.Stderr, observer);
            Exit = WaitAsync(process, stdout, stderr, cgroup, time);
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

        private async Task<ContainerExit> WaitAsync(Process process, Task stdout, Task stderr, SandboxCgroup cgroup, TimeProvider time)
        {
            using (process)
            {
                await process.WaitForExitAsync();
                await Task.WhenAll(stdout, stderr);
                var finishedAt = time.GetUtcNow();
                _sandbox.Runsc("delete", "--force", _runscId);
                // A 137 the kubelet did not cause is the OOM killer's when the cgroup counted an OOM kill.
                var oomKilled = process.ExitCode == 137 && Volatile.Read(ref _killed) == 0 && cgroup.OomKills() > 0;
                cgroup.Remove();
                return new ContainerExit(process.ExitCode, oomKilled, finishedAt);
            }
        }
    }
}
