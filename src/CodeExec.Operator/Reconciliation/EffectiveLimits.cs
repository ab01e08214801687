using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>The limits an execution runs with once admitted: its spec, over its runtime's defaults, over the built-in defaults.</summary>
/// <param name="TimeoutSeconds">Wall-clock seconds (the Pod's activeDeadlineSeconds).</param>
/// <param name="Cpu">CPU limit and request of the code container.</param>
/// <param name="Memory">Memory limit and request of the code container.</param>
/// <param name="Processes">Most processes and threads of the code's user (<c>ulimit -u</c>).</param>
/// <param name="TmpSize">Size limit of the writable in-memory /tmp.</param>
/// <param name="OutputBytes">Bytes of each output stream kept in status.</param>
internal sealed record EffectiveLimits(
    int TimeoutSeconds,
    ResourceQuantity Cpu,
    ResourceQuantity Memory,
    int Processes,
    ResourceQuantity TmpSize,
    int OutputBytes)
{
    public const int BuiltInTimeoutSeconds = 60;
    public const string BuiltInCpu = "500m";
    public const string BuiltInMemory = "256Mi";
    public const int BuiltInProcesses = 64;
    public const string BuiltInTmpSize = "64Mi";
}
