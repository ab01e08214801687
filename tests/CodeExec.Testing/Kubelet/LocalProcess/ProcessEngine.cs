using System.ComponentModel;
using System.Diagnostics;
using CodeExec.Testing.Emulator;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet.LocalProcess;

/// <summary>
/// Process mode: each container's command runs as an ordinary host process with the pod's env, args and
/// workingDir; volumes are host folders and mount paths are rewritten to them (<see cref="MountPathRewriter"/>).
/// THERE IS NO ISOLATION: the process runs as the test's own user, with the host's network and filesystem, and no
/// securityContext, resource limit or pids limit applies. Use it only for trusted commands.
/// </summary>
internal sealed class ProcessEngine(PodRunnerOptions options) : IContainerEngine
{
    public const string NoIsolationWarning =
        "PROCESS MODE HAS NO ISOLATION: pod commands run as ordinary host processes with the test's user, network and "
        + "filesystem; securityContext, resource limits and the pids limit are NOT applied. Never run untrusted code in it.";

    private readonly string _workDirectory = options.ResolveWorkDirectory("process");

    public string Scheme => "process";

    public Task<IPodSandbox> PrepareAsync(PodRunRequest request, CancellationToken cancellationToken)
    {
        var pod = request.Pod;
        options.Logger.LogWarning("Pod {Namespace}/{Pod}: {Warning}", pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, NoIsolationWarning);
        var folder = Path.Combine(_workDirectory, $"{pod.Metadata?.NamespaceProperty}_{pod.Metadata?.Name}_{Guid.NewGuid():N}"[..^24]);
        try
        {
            Directory.CreateDirectory(folder);
            var volumes = VolumeMaterializer.Materialize(request, Path.Combine(folder, "volumes"));
            return Task.FromResult<IPodSandbox>(new ProcessSandbox(pod, folder, volumes, options.Time));
        }
        catch
        {
            DeleteQuietly(folder);
            throw;
        }
    }

    internal static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left behind under the work folder; the next run does not depend on it.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: a file a process made read-only.
        }
    }

    private sealed class ProcessSandbox(V1Pod pod, string folder, Dictionary<string, string> volumes, TimeProvider time) : IPodSandbox
    {
        public async Task<bool> ProbeAsync(V1Container container, IRunningContainer running, IList<string> command, CancellationToken cancellationToken)
        {
            var (start, _) = Prepare(container, [.. command]);
            start.RedirectStandardInput = false;
            using var probe = Process.Start(start)!;
            var drain = Task.WhenAll(probe.StandardOutput.ReadToEndAsync(cancellationToken), probe.StandardError.ReadToEndAsync(cancellationToken));
            await probe.WaitForExitAsync(cancellationToken);
            await drain;
            return probe.ExitCode == 0;
        }

        public Task<IRunningContainer> StartAsync(V1Container container, IPodRunObserver observer, CancellationToken cancellationToken)
        {
            var (start, _) = Prepare(container, null);
            return Task.FromResult<IRunningContainer>(new ProcessContainer(container.Name, start, observer, time));
        }

        /// <summary>The process of <paramref name="container"/> (or of <paramref name="execCommand"/> in its environment).</summary>
        private (ProcessStartInfo Start, MountPathRewriter Rewriter) Prepare(V1Container container, List<string>? execCommand)
        {
            var mounts = new List<KeyValuePair<string, string>>();
            foreach (var mount in container.VolumeMounts ?? [])
            {
                if (!volumes.TryGetValue(mount.Name, out var hostFolder))
                {
                    throw new UnsupportedPodException($"container {container.Name}: volumeMount {mount.Name} names no volume of the pod");
                }

                mounts.Add(new(mount.MountPath, string.IsNullOrEmpty(mount.SubPath) ? hostFolder : Path.Combine(hostFolder, mount.SubPath)));
            }

            var rewriter = new MountPathRewriter(mounts);
            var env = ContainerCommand.Environment(container);
            var argv = (execCommand ?? ContainerCommand.Argv(container, env)).Select(rewriter.Rewrite).ToList();
            var start = new ProcessStartInfo(argv[0])
            {
                WorkingDirectory = container.WorkingDir is { Length: > 0 } workingDir ? rewriter.Rewrite(workingDir) : folder,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in argv.Skip(1))
            {
                start.ArgumentList.Add(arg);
            }

            var path = start.Environment.TryGetValue("PATH", out var hostPath) ? hostPath : "/usr/local/bin:/usr/bin:/bin";
            start.Environment.Clear();
            start.Environment["PATH"] = path;
            start.Environment["HOSTNAME"] = pod.Metadata?.Name;
            foreach (var (name, value) in env)
            {
                start.Environment[name] = rewriter.Rewrite(value);
            }

            return (start, rewriter);
        }

        public ValueTask DisposeAsync()
        {
            DeleteQuietly(folder);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ProcessContainer : IRunningContainer
    {
        private readonly Process? _process;

        public ProcessContainer(string name, ProcessStartInfo start, IPodRunObserver observer, TimeProvider time)
        {
            Id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            StartedAt = time.GetUtcNow();
            try
            {
                _process = Process.Start(start) ?? throw new Win32Exception("no process was started");
            }
            catch (Win32Exception e)
            {
                // What containerd reports when the entrypoint cannot be executed.
                var message = $"failed to start {start.FileName}: {e.Message}";
                Exit = Task.FromResult(new ContainerExit(128, false, time.GetUtcNow(), "StartError", message));
                observer.ContainerOutput(name, OutputStreamKind.Stderr, System.Text.Encoding.UTF8.GetBytes(message + "\n"));
                return;
            }

            _process.StandardInput.Close();
            var stdout = HostProcess.PumpAsync(_process.StandardOutput.BaseStream, name, OutputStreamKind.Stdout, observer);
            var stderr = HostProcess.PumpAsync(_process.StandardError.BaseStream, name, OutputStreamKind.Stderr, observer);
            Exit = WaitAsync(_process, stdout, stderr, time);
        }

        public string Id { get; }

        public DateTimeOffset StartedAt { get; }

        public Task<ContainerExit> Exit { get; }

        public void Signal(bool kill)
        {
            if (_process is null || Exit.IsCompleted)
            {
                return;
            }

            try
            {
                if (kill)
                {
                    _process.Kill(entireProcessTree: true);
                }
                else
                {
                    using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
                    term?.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }

        private static async Task<ContainerExit> WaitAsync(Process process, Task stdout, Task stderr, TimeProvider time)
        {
            using (process)
            {
                await process.WaitForExitAsync();
                await Task.WhenAll(stdout, stderr);
                return new ContainerExit(process.ExitCode, false, time.GetUtcNow());
            }
        }
    }
}
