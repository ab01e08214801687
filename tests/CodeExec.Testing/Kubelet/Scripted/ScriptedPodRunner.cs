using CodeExec.Testing.Emulator;
using k8s.Models;

namespace CodeExec.Testing.Kubelet.Scripted;

/// <summary>
/// The scripted mode: nothing runs; each container does what the test registered for its pod (output, exit code,
/// duration on the kubelet's clock, OOM, running until stopped, image pull failure). Registrations are matched
/// newest first; a pod no registration matches has every container exit 0 at once (native sidecars run until the
/// kubelet stops them, then exit 0).
/// </summary>
public sealed class ScriptedPodRunner : IPodRunner
{
    private readonly List<(Func<V1Pod, bool> Match, ScriptedPod Pod)> _scripts = [];
    private readonly Lock _lock = new();
    private readonly EnginePodRunner _runner;

    public ScriptedPodRunner(PodRunnerOptions? options = null)
    {
        options ??= new PodRunnerOptions();
        _runner = new EnginePodRunner(new ScriptedEngine(this, options.Time), options.Time, options.UnpullableImages.Contains);
    }

    public string ContainerIdScheme => _runner.ContainerIdScheme;

    /// <summary>Pods for which <paramref name="match"/> is true behave as <paramref name="pod"/>.</summary>
    public void Script(Func<V1Pod, bool> match, ScriptedPod pod)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            _scripts.Add((match, pod));
        }
    }

    /// <summary>The pod named <paramref name="name"/> (any namespace) behaves as <paramref name="pod"/>.</summary>
    public void ScriptPodNamed(string name, ScriptedPod pod) => Script(p => p.Metadata?.Name == name, pod);

    /// <summary>Pods labelled <paramref name="key"/>=<paramref name="value"/> behave as <paramref name="pod"/>.</summary>
    public void ScriptPodsLabelled(string key, string value, ScriptedPod pod) =>
        Script(p => p.Metadata?.Labels is { } labels && labels.TryGetValue(key, out var v) && v == value, pod);

    public Task<PodRunOutcome> RunAsync(PodRunRequest request, IPodRunObserver observer, CancellationToken stopRun) =>
        _runner.RunAsync(request, observer, stopRun);

    internal ScriptedPod? Find(V1Pod pod)
    {
        lock (_lock)
        {
            for (var i = _scripts.Count - 1; i >= 0; i--)
            {
                if (_scripts[i].Match(pod))
                {
                    return _scripts[i].Pod;
                }
            }
        }

        return null;
    }

    private sealed class ScriptedEngine(ScriptedPodRunner runner, TimeProvider time) : IContainerEngine
    {
        public string Scheme => "scripted";

        public Task<IPodSandbox> PrepareAsync(PodRunRequest request, CancellationToken cancellationToken) =>
            Task.FromResult<IPodSandbox>(new ScriptedSandbox(request.Pod, runner.Find(request.Pod), time));
    }

    private sealed class ScriptedSandbox(V1Pod pod, ScriptedPod? script, TimeProvider time) : IPodSandbox
    {
        public Task<IRunningContainer> StartAsync(V1Container container, IPodRunObserver observer, CancellationToken cancellationToken)
        {
            var behaviour = script?.Containers.GetValueOrDefault(container.Name) ?? script?.Default ?? DefaultFor(container);
            if (behaviour.ImagePullFails)
            {
                throw new ImagePullFailedException(container.Image ?? "", $"failed to pull image \"{container.Image}\": scripted pull failure");
            }

            return Task.FromResult<IRunningContainer>(new ScriptedContainerRun(container.Name, behaviour, observer, time));
        }

        public Task<bool> ProbeAsync(V1Container container, IRunningContainer running, IList<string> command, CancellationToken cancellationToken) =>
            Task.FromResult(!running.Exit.IsCompleted);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private ScriptedContainer DefaultFor(V1Container container) =>
            (pod.Spec?.InitContainers ?? []).Any(c => c.Name == container.Name && c.RestartPolicy == "Always")
                ? ScriptedContainer.Sidecar()
                : ScriptedContainer.Succeeds;
    }

    private sealed class ScriptedContainerRun : IRunningContainer
    {
        private readonly string _name;
        private readonly ScriptedContainer _script;
        private readonly IPodRunObserver _observer;
        private readonly TimeProvider _time;
        private readonly TaskCompletionSource<ContainerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ITimer? _timer;
        private readonly Lock _lock = new();

        public ScriptedContainerRun(string name, ScriptedContainer script, IPodRunObserver observer, TimeProvider time)
        {
            _name = name;
            _script = script;
            _observer = observer;
            _time = time;
            Id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            StartedAt = time.GetUtcNow();
            observer.ContainerOutput(name, OutputStreamKind.Stdout, script.Stdout);
            observer.ContainerOutput(name, OutputStreamKind.Stderr, script.Stderr);
            if (script.RunsUntilStopped)
            {
                return;
            }

            if (script.Duration <= TimeSpan.Zero)
            {
                EndByItself();
            }
            else
            {
                _timer = time.CreateTimer(_ => EndByItself(), null, script.Duration, Timeout.InfiniteTimeSpan);
            }
        }

        public string Id { get; }

        public DateTimeOffset StartedAt { get; }

        public Task<ContainerExit> Exit => _exit.Task;

        public void Signal(bool kill)
        {
            if (kill)
            {
                End(137, oomKilled: false);
            }
            else if (!_script.IgnoresTermination)
            {
                lock (_lock)
                {
                    if (_exit.Task.IsCompleted)
                    {
                        return;
                    }

                    _observer.ContainerOutput(_name, OutputStreamKind.Stdout, _script.StdoutOnTermination);
                }

                End(_script.ExitCodeOnTermination, oomKilled: false);
            }
        }

        private void EndByItself() => End(_script.OomKilled ? 137 : _script.ExitCode, _script.OomKilled);

        private void End(int exitCode, bool oomKilled)
        {
            lock (_lock)
            {
                _timer?.Dispose();
                _exit.TrySetResult(new ContainerExit(exitCode, oomKilled, _time.GetUtcNow()));
            }
        }
    }
}
