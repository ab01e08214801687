using CodeExec.Operator.Controller;
using CodeExec.Testing.Emulator;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>A burst of executions while the API server throttles: every key still gets reconciled.</summary>
public sealed class BurstOnEmulatorTests
{
    [Fact]
    public async Task Every_execution_of_a_burst_is_reconciled_while_a_fifth_of_requests_get_429()
    {
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        using var client = emulator.CreateClient();
        const int count = 300;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct },
            async (i, _) => await CreateExecutionAsync(client, $"burst-{i}"));
        var recorder = new ReconcileRecorder();

        emulator.Faults.FailRandomly(0.2, statusCode: 429, seed: 7, retryAfter: TimeSpan.FromMilliseconds(10));
        await using var app = await StartOperatorAsync(emulator, recorder, "--Operator:Controller:MaxConcurrentReconciles=8",
            "--Operator:Controller:ListPageSize=50",
            "--Operator:Controller:WatchErrorBaseDelay=00:00:00.02", "--Operator:Controller:WatchErrorMaxDelay=00:00:00.2");

        await EventuallyAsync(() => recorder.Keys.Distinct().Count() == count, "every execution reconciled");
        Assert.True(emulator.Faults.InjectedFailures > 0, "the emulator did throttle");
        Assert.All(recorder.Keys, key => Assert.StartsWith("burst-", key.Name, StringComparison.Ordinal));
        await app.StopAsync(Ct);
    }
}
