using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Kill the operator at any point and start it again: every execution still finishes exactly once, with one Pod,
/// its result kept and its status never going backwards. With two replicas, only the Lease holder acts.
/// </summary>
public sealed class CrashSafetyTests
{
    [Fact]
    public async Task An_operator_restarted_mid_flight_finishes_the_execution_without_a_second_Pod()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        using var recorder = await ObjectRecorder.StartAsync(cluster.Client, SandboxCluster.Namespace);
        cluster.ScriptSandbox("survivor", new ScriptedContainer { Duration = TimeSpan.FromSeconds(2) }, "done\n");
        var first = await cluster.StartOperatorAsync();
        await cluster.CreateExecutionAsync("survivor");
        await cluster.WaitForPhaseAsync("survivor", ExecutionPhase.Running);

        await first.KillAsync();
        await cluster.StartOperatorAsync();

        var status = (await cluster.WaitForFinalAsync("survivor")).Status!;
        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal("done\n", status.Stdout);
        Assert.Single(recorder.PodsCreated(await cluster.PodNameAsync("survivor")));
    }

    [Fact]
    public async Task Operators_killed_at_random_moments_still_finish_every_execution_exactly_once()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        using var recorder = await ObjectRecorder.StartAsync(cluster.Client, SandboxCluster.Namespace);
        var names = Enumerable.Range(0, 6).Select(i => $"crash-{i}").ToList();
        foreach (var name in names)
        {
            cluster.ScriptSandbox(name, new ScriptedContainer { Duration = TimeSpan.FromMilliseconds(400) }, name + "\n");
            await cluster.CreateExecutionAsync(name);
        }

        var phases = names.ToDictionary(n => n, _ => new List<string>());
        var random = new Random(42);
        for (var round = 0; round < 8; round++)
        {
            var replica = await cluster.StartOperatorAsync();
            await Task.Delay(random.Next(50, 400), TestContext.Current.CancellationToken);
            await replica.KillAsync();
            await RecordPhasesAsync(cluster, phases);
        }

        await cluster.StartOperatorAsync();
        foreach (var name in names)
        {
            var status = (await cluster.WaitForFinalAsync(name)).Status!;
            Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
            Assert.Equal(name + "\n", status.Stdout);
            Assert.Single(recorder.PodsCreated(await cluster.PodNameAsync(name)));
            phases[name].Add(status.Phase!);
            AssertNeverBackwards(name, phases[name]);
        }
    }

    [Fact]
    public async Task With_two_replicas_only_the_leader_reconciles_and_a_follower_takes_over_when_it_dies()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        using var recorder = await ObjectRecorder.StartAsync(cluster.Client, SandboxCluster.Namespace);
        var election = new Dictionary<string, string>
        {
            ["Operator:LeaderElection:Enabled"] = "true",
            ["Operator:LeaderElection:LeaseNamespace"] = SandboxCluster.Namespace,
            ["Operator:LeaderElection:LeaseDuration"] = "00:00:02",
            ["Operator:LeaderElection:RenewDeadline"] = "00:00:01.500",
            ["Operator:LeaderElection:RetryPeriod"] = "00:00:00.200",
        };
        var counters = new Dictionary<string, ReconcileCounter> { ["replica-a"] = new(), ["replica-b"] = new() };
        var replicas = new Dictionary<string, RunningOperator>();
        foreach (var (identity, counter) in counters)
        {
            replicas[identity] = await cluster.StartOperatorAsync(election, identity, counter.Install());
        }

        var leader = await WaitForLeaderAsync(cluster, null);
        var follower = counters.Keys.Single(k => k != leader);

        cluster.ScriptSandbox("led", new ScriptedContainer { Duration = TimeSpan.FromSeconds(3) }, "led\n");
        await cluster.CreateExecutionAsync("led");
        await cluster.WaitForPhaseAsync("led", ExecutionPhase.Running);
        Assert.True(counters[leader].Count > 0, "the leader reconciled");
        Assert.Equal(0, counters[follower].Count);

        await replicas[leader].KillAsync();
        Assert.Equal(follower, await WaitForLeaderAsync(cluster, leader));

        var status = (await cluster.WaitForFinalAsync("led")).Status!;
        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal("led\n", status.Stdout);
        Assert.True(counters[follower].Count > 0, "the new leader finished the work");
        Assert.Single(recorder.PodsCreated(await cluster.PodNameAsync("led")));
    }

    private static async Task<string> WaitForLeaderAsync(SandboxCluster cluster, string? other)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("codeexec-operator-leader", SandboxCluster.Namespace);
                if (lease.Spec.HolderIdentity is { Length: > 0 } holder && holder != other)
                {
                    return holder;
                }
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no replica became leader");
    }

    private static async Task RecordPhasesAsync(SandboxCluster cluster, Dictionary<string, List<string>> phases)
    {
        foreach (var (name, seen) in phases)
        {
            if ((await cluster.GetExecutionAsync(name))?.Status?.Phase is { } phase)
            {
                seen.Add(phase);
            }
        }
    }

    /// <summary>Phases only move forward: Pending/Queued, then Running, then one final phase that never changes.</summary>
    private static void AssertNeverBackwards(string name, List<string> seen)
    {
        static int Rank(string phase) => phase switch
        {
            ExecutionPhase.Pending or ExecutionPhase.Queued => 0,
            ExecutionPhase.Running => 1,
            _ => 2,
        };

        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(Rank(seen[i]) >= Rank(seen[i - 1]), $"{name}: phase went from {seen[i - 1]} back to {seen[i]}");
        }

        Assert.Single(seen.Where(ExecutionPhase.IsFinal).Distinct());
    }
}
