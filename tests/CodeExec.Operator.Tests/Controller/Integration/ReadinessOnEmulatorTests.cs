using System.Net;
using CodeExec.Api;
using CodeExec.Testing.Emulator;
using Microsoft.AspNetCore.Builder;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>/readyz stays unready while a cache cannot sync, while /healthz (liveness) stays up.</summary>
public sealed class ReadinessOnEmulatorTests
{
    [Fact]
    public async Task Not_ready_until_every_cache_has_synced()
    {
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        emulator.Faults.FailRequests("GET", ApiConstants.CodeRuntimePlural, 500);
        await using var app = await StartOperatorAsync(emulator, new ReconcileRecorder(),
            "--Operator:Controller:WatchErrorBaseDelay=00:00:00.05", "--Operator:Controller:WatchErrorMaxDelay=00:00:00.2");
        using var http = new HttpClient { BaseAddress = Address(app) };

        var unready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        var body = await unready.Content.ReadAsStringAsync(Ct);
        emulator.Faults.Reset();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        await EventuallyAsync(
            async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct)).StatusCode == HttpStatusCode.OK,
            "ready once the runtime cache synced");
        await app.StopAsync(CancellationToken.None);
        Assert.Equal("Unhealthy", body);
    }
}
