using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Security review finding 5 / issue 9 point 3: a namespace holds at most Sandbox:MaxExecutionsPerNamespace
/// CodeExecutions, and none is kept longer than Sandbox:MaxTtlSecondsAfterFinished.
/// </summary>
public sealed class NamespaceCapTests
{
    [Fact]
    public async Task An_execution_created_when_the_namespace_holds_the_maximum_is_rejected()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string> { ["Sandbox:MaxExecutionsPerNamespace"] = "2" });
        // Names in creation order: creation timestamps are whole seconds, and the name breaks ties.
        cluster.ScriptSandbox("a-first", new ScriptedContainer(), "1\n");
        cluster.ScriptSandbox("b-second", new ScriptedContainer(), "2\n");
        await cluster.CreateExecutionAsync("a-first");
        await cluster.CreateExecutionAsync("b-second");
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("a-first")).Status!.Phase);
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("b-second")).Status!.Phase);

        await cluster.CreateExecutionAsync("c-third");

        var status = (await cluster.WaitForFinalAsync("c-third")).Status!;
        Assert.Equal((ExecutionPhase.Rejected, ExecutionReason.Rejected), (status.Phase, status.Reason));
        Assert.Equal($"namespace {SandboxCluster.Namespace} holds 3 CodeExecutions, at most 2 (Sandbox:MaxExecutionsPerNamespace): delete finished ones or wait for their ttlSecondsAfterFinished",
            status.Message);
        Assert.Null(await cluster.GetPodAsync(await cluster.PodNameAsync("c-third")));
    }

    [Fact]
    public async Task A_ttl_over_the_maximum_is_rejected_and_the_execution_is_kept_only_the_maximum()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Sandbox:MaxTtlSecondsAfterFinished"] = "2",
            ["Sandbox:DefaultTtlSecondsAfterFinished"] = "1",
        });

        await cluster.CreateExecutionAsync("keep-me", spec => spec.TtlSecondsAfterFinished = 3600);

        var status = (await cluster.WaitForFinalAsync("keep-me")).Status!;
        Assert.Equal(ExecutionPhase.Rejected, status.Phase);
        Assert.Equal("spec.ttlSecondsAfterFinished 3600 exceeds the cluster maximum 2 (Sandbox:MaxTtlSecondsAfterFinished)", status.Message);
        await cluster.WaitForAsync("keep-me", e => e is null, TimeSpan.FromSeconds(30), "deleted after the maximum TTL, not the 3600 s it asked");
    }
}
