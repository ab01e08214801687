using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// The pod lifecycle every mode shares, as the kubelet runs it for restartPolicy Never: init containers in order (a
/// native sidecar, <c>restartPolicy: Always</c>, is started and left running), then all regular containers, then
/// the sidecars are stopped in reverse order, one after the other, once every regular container has exited. Stopping the run terminates
/// the regular containers, then the sidecars, each with SIGTERM and the pod's grace period before SIGKILL.
/// </summary>
internal sealed class EnginePodRunner(IContainerEngine engine, TimeProvider time, Func<string, bool> isUnpullable) : IPodRunner
{
    public string ContainerIdScheme => engine.Scheme;

    public async Task<PodRunOutcome> RunAsync(PodRunRequest request, IPodRunObserver observer, CancellationToken stop)
    {
        var spec = request.Pod.Spec ?? throw new ArgumentException("The pod has no spec.", nameof(request));
        var initContainers = spec.InitContainers ?? [];
        var containers = spec.Containers ?? [];
        var grace = TimeSpan.FromSeconds(spec.TerminationGracePeriodSeconds ?? 30);
        if (spec.RestartPolicy is not (null or "Never"))
        {
            return new PodRunOutcome(PodRunEnd.Unsupported, $"restartPolicy {spec.RestartPolicy} is not supported: the simulated kubelet runs restartPolicy Never pods only");
        }

        foreach (var container in initContainers.Concat(containers))
        {
            observer.ContainerWaiting(container.Name, "ContainerCreating", null);
        }

        IPodSandbox sandbox;
        try
        {
            sandbox = await engine.PrepareAsync(request, stop);
        }
        catch (UnsupportedPodException e)
        {
            return new PodRunOutcome(PodRunEnd.Unsupported, e.Message);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new PodRunOutcome(PodRunEnd.Stopped);
        }

        await using var _ = sandbox;
        var sidecars = new List<IRunningContainer>();
        var regular = new List<IRunningContainer>();
        var reports = new List<Task>();
        try
        {
            foreach (var init in initContainers)
            {
                // An init container whose image cannot be pulled blocks the pod until it is stopped.
                var started = await StartAsync(sandbox, init, observer, stop) ?? await WaitForStopAsync(stop);
                reports.Add(ReportExitAsync(init.Name, started, observer));
                if (init.RestartPolicy == "Always")
                {
                    sidecars.Add(started);
                    if (init.StartupProbe is { } probe && !await StartupProbeSucceedsAsync(sandbox, init, probe, started, stop))
                    {
                        await StopSidecarsAsync(sidecars, grace);
                        await Task.WhenAll(reports);
                        return new PodRunOutcome(PodRunEnd.Failed, $"startup probe of sidecar {init.Name} failed");
                    }

                    continue;
                }

                var exit = await started.Exit.WaitAsync(stop);
                if (exit.ExitCode != 0)
                {
                    await StopSidecarsAsync(sidecars, grace);
                    await Task.WhenAll(reports);
                    return new PodRunOutcome(PodRunEnd.Failed, $"init container {init.Name} exited with code {exit.ExitCode}");
                }
            }

            var pullFailed = false;
            foreach (var container in containers)
            {
                var started = await StartAsync(sandbox, container, observer, stop);
                if (started is null)
                {
                    pullFailed = true;
                    continue;
                }

                regular.Add(started);
                reports.Add(ReportExitAsync(container.Name, started, observer));
            }

            var exits = await Task.WhenAll(regular.Select(c => c.Exit)).WaitAsync(stop);
            if (pullFailed)
            {
                // A container that never started keeps the pod from ending by itself: only the deadline, an eviction
                // or a deletion ends it, as on a real node.
                await WaitForStopAsync(stop);
            }

            await StopSidecarsAsync(sidecars, grace);
            await Task.WhenAll(reports);
            var failed = containers.Zip(exits).FirstOrDefault(pair => pair.Second.ExitCode != 0);
            return failed.First is null
                ? new PodRunOutcome(PodRunEnd.Succeeded)
                : new PodRunOutcome(PodRunEnd.Failed, $"container {failed.First.Name} exited with code {failed.Second.ExitCode}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await StopAllAsync(regular, grace);
            await StopSidecarsAsync(sidecars, grace);
            await Task.WhenAll(reports);
            return new PodRunOutcome(PodRunEnd.Stopped);
        }
        catch (UnsupportedPodException e)
        {
            // A container the engine could only refuse when starting it: stop what already runs.
            await StopAllAsync(regular, grace);
            await StopSidecarsAsync(sidecars, grace);
            await Task.WhenAll(reports);
            return new PodRunOutcome(PodRunEnd.Unsupported, e.Message);
        }
        catch
        {
            await StopAllAsync(regular, TimeSpan.Zero);
            await StopAllAsync(sidecars, TimeSpan.Zero);
            throw;
        }
    }

    /// <summary>Starts a container, or reports ErrImagePull then ImagePullBackOff and returns null.</summary>
    private async Task<IRunningContainer?> StartAsync(IPodSandbox sandbox, V1Container container, IPodRunObserver observer, CancellationToken stop)
    {
        try
        {
            if (container.Image is { } image && isUnpullable(image))
            {
                throw new ImagePullFailedException(image, $"failed to pull image \"{image}\": the simulated registry refuses it");
            }

            var started = await sandbox.StartAsync(container, observer, stop);
            observer.ContainerStarted(container.Name, $"{engine.Scheme}://{started.Id}", started.StartedAt);
            return started;
        }
        catch (ImagePullFailedException e)
        {
            observer.ContainerWaiting(container.Name, "ErrImagePull", e.Message);
            observer.ContainerWaiting(container.Name, "ImagePullBackOff", $"Back-off pulling image \"{e.Image}\"");
            return null;
        }
    }

    /// <summary>
    /// A native sidecar with a startupProbe holds back the next containers until the probe succeeds, as the kubelet
    /// does: initialDelaySeconds, then every periodSeconds (default 10) up to failureThreshold (default 3) failures.
    /// Only exec probes are supported.
    /// </summary>
    private async Task<bool> StartupProbeSucceedsAsync(IPodSandbox sandbox, V1Container container, V1Probe probe, IRunningContainer running, CancellationToken stop)
    {
        if (probe.Exec?.Command is not { Count: > 0 } command)
        {
            throw new UnsupportedPodException($"container {container.Name}: only exec startup probes are supported by the simulated kubelet");
        }

        await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), time, stop);
        var failures = 0;
        while (true)
        {
            if (running.Exit.IsCompleted)
            {
                return false;
            }

            if (await sandbox.ProbeAsync(container, running, command, stop))
            {
                return true;
            }

            if (++failures >= (probe.FailureThreshold ?? 3))
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10), time, stop);
        }
    }

    private async Task ReportExitAsync(string name, IRunningContainer container, IPodRunObserver observer)
    {
        var exit = await container.Exit;
        var reason = exit.Reason ?? (exit.OomKilled ? "OOMKilled" : ContainerTermination.ReasonFor(exit.ExitCode));
        observer.ContainerTerminated(name, new ContainerTermination(
            exit.ExitCode, reason, $"{engine.Scheme}://{container.Id}", container.StartedAt, exit.FinishedAt, exit.Message));
    }

    /// <summary>Stops containers the way the kubelet does: SIGTERM in reverse start order, the grace period, then SIGKILL.</summary>
    private async Task StopAllAsync(List<IRunningContainer> running, TimeSpan grace)
    {
        var alive = running.Where(c => !c.Exit.IsCompleted).Reverse().ToList();
        if (alive.Count == 0)
        {
            return;
        }

        foreach (var container in alive)
        {
            container.Signal(kill: false);
        }

        var allExited = Task.WhenAll(alive.Select(c => c.Exit));
        try
        {
            await allExited.WaitAsync(grace, time);
        }
        catch (TimeoutException)
        {
            foreach (var container in alive.Where(c => !c.Exit.IsCompleted))
            {
                container.Signal(kill: true);
            }

            await allExited;
        }
    }

    /// <summary>
    /// Stops native sidecars as the kubelet does (kubernetes pkg/kubelet/kuberuntime/kuberuntime_termination_order.go):
    /// in reverse start order, each one SIGTERMed only once every later sidecar has exited, all within one grace
    /// period; whatever still runs when it is over gets SIGKILL.
    /// </summary>
    private async Task StopSidecarsAsync(List<IRunningContainer> sidecars, TimeSpan grace)
    {
        var deadline = time.GetUtcNow() + grace;
        var alive = sidecars.Where(c => !c.Exit.IsCompleted).Reverse().ToList();
        foreach (var sidecar in alive)
        {
            if (sidecar.Exit.IsCompleted)
            {
                continue;
            }

            sidecar.Signal(kill: false);
            var left = deadline - time.GetUtcNow();
            try
            {
                await sidecar.Exit.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
            }
            catch (TimeoutException)
            {
                foreach (var container in alive.Where(c => !c.Exit.IsCompleted))
                {
                    container.Signal(kill: true);
                }

                await Task.WhenAll(alive.Select(c => c.Exit));
                return;
            }
        }
    }

    /// <summary>Waits until the run is stopped, then throws <see cref="OperationCanceledException"/>: it never returns a container.</summary>
    private static async Task<IRunningContainer> WaitForStopAsync(CancellationToken stop)
    {
        await Task.Delay(Timeout.Infinite, stop);
        throw new OperationCanceledException(stop);
    }
}
