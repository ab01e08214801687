using CodeExec.Testing.Emulator;
using k8s;

namespace CodeExec.Testing.Kubelet;

/// <summary>A one-node cluster's worker side: the simulated scheduler and kubelet, started and stopped together.</summary>
public sealed class SimulatedNode : IAsyncDisposable
{
    private SimulatedNode(SimulatedScheduler scheduler, SimulatedKubelet kubelet)
    {
        Scheduler = scheduler;
        Kubelet = kubelet;
    }

    public SimulatedScheduler Scheduler { get; }

    public SimulatedKubelet Kubelet { get; }

    /// <summary>Starts a scheduler and a kubelet that run pods with <paramref name="runner"/> and write logs to <paramref name="logs"/>.</summary>
    public static async Task<SimulatedNode> StartAsync(IKubernetes client, PodLogStore logs, IPodRunner runner, KubeletOptions? options = null)
    {
        var scheduler = new SimulatedScheduler(client, options);
        var kubelet = new SimulatedKubelet(client, logs, runner, options);
        await scheduler.StartAsync();
        await kubelet.StartAsync();
        return new SimulatedNode(scheduler, kubelet);
    }

    public async ValueTask DisposeAsync()
    {
        await Scheduler.DisposeAsync();
        await Kubelet.DisposeAsync();
    }
}
