using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Testing.Emulator;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>Leader election on a Lease of the API emulator, with real operator hosts as replicas.</summary>
public sealed class LeaderElectionOnEmulatorTests : IAsyncLifetime
{
    private static readonly string[] FastElection =
    [
        "--Operator:LeaderElection:Enabled=true",
        "--Operator:LeaderElection:LeaseNamespace=default",
        "--Operator:LeaderElection:LeaseDuration=00:00:02",
        "--Operator:LeaderElection:RenewDeadline=00:00:01.5",
        "--Operator:LeaderElection:RetryPeriod=00:00:00.2",
        "--Operator:Controller:GracefulShutdownTimeout=00:00:02",
    ];

    private KubernetesEmulator _emulator = null!;
    private Kubernetes _client = null!;
    private readonly List<WebApplication> _replicas = [];

    public async ValueTask InitializeAsync()
    {
        _emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        _client = _emulator.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.StopAsync(CancellationToken.None);
            await replica.DisposeAsync();
        }

        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    private async Task<(WebApplication App, ReconcileRecorder Recorder, Leadership Leadership)> StartReplicaAsync(ReconcileRecorder? recorder = null)
    {
        recorder ??= new ReconcileRecorder();
        var app = await StartOperatorAsync(_emulator, recorder, FastElection);
        _replicas.Add(app);
        return (app, recorder, app.Services.GetRequiredService<Leadership>());
    }

    [Fact]
    public async Task Only_the_leader_reconciles_and_the_follower_takes_over_when_it_stops()
    {
        var first = await StartReplicaAsync();
        var second = await StartReplicaAsync();
        await CreateExecutionAsync(_client, "work");

        await EventuallyAsync(() => first.Leadership.IsLeader || second.Leadership.IsLeader, "one replica leads");
        var (leader, follower) = first.Leadership.IsLeader ? (first, second) : (second, first);
        await EventuallyAsync(() => leader.Recorder.Saw(new ObjectKey("default", "work")), "the leader reconciles");
        await CreateExecutionAsync(_client, "more-work");
        await EventuallyAsync(() => leader.Recorder.Saw(new ObjectKey("default", "more-work")));

        Assert.False(follower.Leadership.IsLeader);
        Assert.Empty(follower.Recorder.Keys);
        var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync("codeexec-operator-leader", "default", cancellationToken: Ct);
        Assert.Equal(leader.App.Services.GetRequiredService<LeaderElectionService>().Identity, lease.Spec.HolderIdentity);

        await leader.App.StopAsync(Ct);

        await EventuallyAsync(() => follower.Leadership.IsLeader, "the follower takes over");
        await EventuallyAsync(() => follower.Recorder.Saw(new ObjectKey("default", "work"))
            && follower.Recorder.Saw(new ObjectKey("default", "more-work")), "the new leader reconciles every key");
    }

    [Fact]
    public async Task Losing_the_lease_cancels_in_flight_reconciles_at_once_and_leading_again_resumes_work()
    {
        var recorder = new ReconcileRecorder { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var replica = await StartReplicaAsync(recorder);
        await EventuallyAsync(() => replica.Leadership.IsLeader, "the only replica leads");
        await CreateExecutionAsync(_client, "long");
        await EventuallyAsync(() => recorder.Saw(new ObjectKey("default", "long")), "the reconcile started");

        // The API server refuses lease renewals: past the renew deadline the replica must stop leading.
        _emulator.Faults.FailRequests("PUT", "leases", 500);
        var cancelledKey = await recorder.Cancelled.Task.WaitAsync(Ct);

        Assert.Equal(new ObjectKey("default", "long"), cancelledKey);
        Assert.False(replica.Leadership.IsLeader);

        var reconcilesBefore = recorder.Keys.Count;
        recorder.Gate = null;
        _emulator.Faults.Reset();
        await EventuallyAsync(() => replica.Leadership.IsLeader, "leads again once renewals work");
        await EventuallyAsync(() => recorder.Keys.Count > reconcilesBefore, "the key is reconciled again in the new term");
    }
}
