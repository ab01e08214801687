using CodeExec.Api;
using CodeExec.DevCluster.Cluster;

namespace CodeExec.E2E;

/// <summary>The samples on a real cluster with gVisor: created as users create them, run by the real operator.</summary>
public sealed class SampleExecutionTests(RealClusterFixture cluster) : IClassFixture<RealClusterFixture>
{
    /// <summary>A real cluster pulls images and starts gVisor sandboxes: allow for a cold node.</summary>
    private static readonly TimeSpan FinishWithin = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Hello_python_succeeds_with_its_stdout_and_stderr()
    {
        cluster.SkipUnlessAvailable();

        var status = await RunSampleAsync("hello-python");

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("hello, codeexec\n", status.Stdout);
        Assert.StartsWith("python 3.", status.Stderr, StringComparison.Ordinal);
        Assert.False(status.StdoutTruncated ?? false);
        Assert.False(string.IsNullOrEmpty(status.CodeSha256));
    }

    [Fact]
    public async Task Timeout_loop_is_stopped_at_its_timeout()
    {
        cluster.SkipUnlessAvailable();

        var status = await RunSampleAsync("timeout-loop");

        Assert.Equal(ExecutionPhase.TimedOut, status.Phase);
        Assert.Equal("DeadlineExceeded", status.Reason);
    }

    [Fact]
    public async Task Memory_bomb_is_killed_at_its_memory_limit()
    {
        cluster.SkipUnlessAvailable();

        var status = await RunSampleAsync("memory-bomb");

        Assert.Equal((ExecutionPhase.Failed, "OOMKilled", 137), (status.Phase, status.Reason, status.ExitCode));
        Assert.Equal("allocating\n", status.Stdout);
    }

    private async Task<CodeExecutionStatus> RunSampleAsync(string name)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var prefix = "e2e-" + Guid.NewGuid().ToString("N")[..5] + "-";
        var names = await SampleApplier.CreateExecutionsAsync(cluster.Client, cluster.Namespace, cluster.Samples.Select(name), prefix, cancellation);
        var results = await ExecutionWatcher.WaitForFinalAsync(cluster.Client, cluster.Namespace, names, FinishWithin, null, TimeProvider.System, cancellation);
        var execution = results[names[0]];
        Assert.True(execution?.Status?.Phase is not null, $"{names[0]} has no status after {FinishWithin}: is the operator running?");
        return execution!.Status!;
    }
}
