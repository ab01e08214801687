using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The operator end to end against the emulator and the simulated kubelet: each test applies a CodeExecution, scripts
/// what its sandbox Pod does, and checks the status the real operator host writes from what it observed.
/// </summary>
public sealed class ExecutionLifecycleTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Hello_world_succeeds_with_its_stdout_and_the_sandbox_is_cleaned_up()
    {
        _cluster.ScriptSandbox("hello", new ScriptedContainer { ExitCode = 0, Duration = TimeSpan.FromMilliseconds(100) }, "hello, world\n");
        await _cluster.CreateExecutionAsync("hello", code: "print('hello, world')");

        var done = await _cluster.WaitForFinalAsync("hello");

        var status = done.Status!;
        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(ExecutionReason.Completed, status.Reason);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("hello, world\n", status.Stdout);
        Assert.Equal("", status.Stderr);
        Assert.Equal(13, status.StdoutBytes);
        Assert.False(status.StdoutTruncated);
        Assert.Equal("hello-sandbox", status.PodName);
        Assert.Equal("python:3.12-slim", status.Image);
        Assert.Equal(SandboxCluster.Runtime, status.Runtime);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("print('hello, world')"))), status.CodeSha256);
        Assert.NotNull(status.StartTime);
        Assert.NotNull(status.CompletionTime);
        Assert.True(status.DurationMs >= 0);
        Assert.Equal(done.Metadata.Generation, status.ObservedGeneration);
        Assert.Contains(status.Conditions!, c => c is { Type: "Finished", Status: "True" });

        await WaitUntilAsync(async () => await _cluster.GetPodAsync("hello-sandbox") is null, "the sandbox Pod is deleted");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException(what + ": not reached");
    }
}
