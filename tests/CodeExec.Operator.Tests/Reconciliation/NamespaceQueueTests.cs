using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>One namespace cannot take every sandbox slot: past its maximum, executions wait in phase Queued.</summary>
public sealed class NamespaceQueueTests
{
    [Fact]
    public async Task Executions_over_the_namespace_maximum_wait_queued_then_run()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string> { ["Operator:Executions:MaxActivePerNamespace"] = "1" });
        cluster.ScriptSandbox("first", new ScriptedContainer { Duration = TimeSpan.FromSeconds(2) }, "1\n");
        cluster.ScriptSandbox("second", new ScriptedContainer(), "2\n");

        await cluster.CreateExecutionAsync("first");
        await cluster.WaitForPhaseAsync("first", ExecutionPhase.Running);
        await cluster.CreateExecutionAsync("second");

        var queued = (await cluster.WaitForPhaseAsync("second", ExecutionPhase.Queued)).Status!;
        Assert.Equal(ExecutionReason.QuotaExceeded, queued.Reason);
        Assert.Contains("1 active of at most 1", queued.Message, StringComparison.Ordinal);
        Assert.Null(await cluster.GetPodAsync(await cluster.PodNameAsync("second")));

        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("first")).Status!.Phase);
        var second = (await cluster.WaitForFinalAsync("second")).Status!;
        Assert.Equal(ExecutionPhase.Succeeded, second.Phase);
        Assert.Equal("2\n", second.Stdout);
    }
}
