using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeExec.Testing.Kubelet;

/// <summary>Settings of the simulated scheduler and kubelet.</summary>
public sealed record KubeletOptions
{
    /// <summary>The one node of the simulated cluster: the scheduler binds pods to it, the kubelet runs pods bound to it.</summary>
    public string NodeName { get; init; } = "node-1";

    /// <summary>The node's address (status.hostIP); pods get addresses from 10.244.0.0/16.</summary>
    public string NodeIp { get; init; } = "10.0.0.10";

    /// <summary>Clock for startTime, conditions and activeDeadlineSeconds. Give the runner the same one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often the scheduler retries unschedulable pods and the kubelet retries missing volume sources.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public ILogger Logger { get; init; } = NullLogger.Instance;
}
