using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The ResourceQuota the operator creates in a namespace where it first runs a sandbox: scoped to the sandbox
/// PriorityClass, the namespace's limits plus gVisor's overhead per Pod, never overwritten.
/// </summary>
public sealed class SandboxQuotaTests
{
    private const decimal Mi = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_quota_caps_pods_and_adds_the_overhead_of_each_possible_Pod_to_cpu_and_memory()
    {
        var quota = SandboxQuota.Desired("team-a", new NamespaceLimits(4, 2m, 2048 * Mi), "codeexec-sandbox", new PodResources(0.1m, 128 * Mi))!;

        Assert.Equal(new Dictionary<string, string>
        {
            ["pods"] = "4",
            ["requests.cpu"] = "2400m",
            ["limits.cpu"] = "2400m",
            ["requests.memory"] = "2560Mi",
            ["limits.memory"] = "2560Mi",
        }, quota.Spec.Hard.ToDictionary(h => h.Key, h => h.Value.ToString()));
        var scope = Assert.Single(quota.Spec.ScopeSelector.MatchExpressions);
        Assert.Equal(("PriorityClass", "In", "codeexec-sandbox"), (scope.ScopeName, scope.OperatorProperty, Assert.Single(scope.Values)));
        Assert.Equal(SandboxNames.ManagedByValue, quota.Metadata.Labels[SandboxNames.ManagedByLabel]);
        Assert.Equal(("codeexec-sandbox", "team-a"), (quota.Metadata.Name, quota.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Without_a_concurrency_limit_or_a_PriorityClass_there_is_no_quota()
    {
        Assert.Null(SandboxQuota.Desired("team-a", new NamespaceLimits(0, 2m, null), "codeexec-sandbox", PodResources.Zero));
        Assert.Null(SandboxQuota.Desired("team-a", new NamespaceLimits(4, 2m, null), "", PodResources.Zero));
        Assert.Equal(["pods"], SandboxQuota.Desired("team-a", new NamespaceLimits(4, null, null), "codeexec-sandbox", PodResources.Zero)!.Spec.Hard.Keys);
    }

    [Fact]
    public async Task The_first_sandbox_of_a_namespace_creates_its_quota_which_counts_gVisor_overhead_and_an_admins_edit_is_kept()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "2",
            ["Operator:Executions:MaxCpuPerNamespace"] = "2",
            ["Operator:Executions:MaxMemoryPerNamespace"] = "2Gi",
            ["Sandbox:PriorityClassName"] = "codeexec-sandbox",
        };
        var first = await cluster.StartOperatorAsync(settings);
        cluster.ScriptSandbox("running", new ScriptedContainer { RunsUntilStopped = true });

        await cluster.CreateExecutionAsync("running");
        await cluster.WaitForPhaseAsync("running", ExecutionPhase.Running);

        // 2 CPU and 2Gi, plus the gvisor RuntimeClass's overhead (config/runtime: 100m, 128Mi) for each of the 2 Pods.
        var quota = await cluster.Client.CoreV1.ReadNamespacedResourceQuotaAsync(SandboxQuota.Name, SandboxCluster.Namespace, cancellationToken: Ct);
        Assert.Equal("2", quota.Spec.Hard["pods"].ToString());
        Assert.Equal("2200m", quota.Spec.Hard["limits.cpu"].ToString());
        Assert.Equal("2304Mi", quota.Spec.Hard["limits.memory"].ToString());
        // The running sandbox is charged its containers' limits (code 256Mi, collector 128Mi) and gVisor's 128Mi.
        await EmulatedCluster.EventuallyAsync(async () =>
        {
            var used = (await cluster.Client.CoreV1.ReadNamespacedResourceQuotaAsync(SandboxQuota.Name, SandboxCluster.Namespace, cancellationToken: Ct)).Status?.Used;
            return used is not null && used.TryGetValue("limits.memory", out var memory) && memory.ToDecimal() == 512 * Mi
                   && used["pods"].ToString() == "1";
        }, "the quota charges the running sandbox 512Mi");

        // An administrator changes it; a restarted operator starting another sandbox here leaves it as it is.
        quota.Spec.Hard["pods"] = new ResourceQuantity("5");
        await cluster.Client.CoreV1.ReplaceNamespacedResourceQuotaAsync(quota, SandboxQuota.Name, SandboxCluster.Namespace, cancellationToken: Ct);
        await first.StopAsync();
        await cluster.StartOperatorAsync(settings);
        cluster.ScriptSandbox("second", new ScriptedContainer(), "2\n");
        await cluster.CreateExecutionAsync("second");
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("second")).Status!.Phase);

        Assert.Equal("5", (await cluster.Client.CoreV1.ReadNamespacedResourceQuotaAsync(SandboxQuota.Name, SandboxCluster.Namespace, cancellationToken: Ct))
            .Spec.Hard["pods"].ToString());
        // One create per operator process (the second one's got 409), and no write but the administrator's.
        Assert.Equal(2, cluster.Emulator.Faults.Requests("POST", "resourcequotas"));
        Assert.Equal(1, cluster.Emulator.Faults.Requests("PUT", "resourcequotas"));
    }

    [Fact]
    public async Task With_the_option_off_no_quota_is_created()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:Executions:ManageSandboxQuota"] = "false",
            ["Sandbox:PriorityClassName"] = "codeexec-sandbox",
        });
        cluster.ScriptSandbox("plain", new ScriptedContainer(), "1\n");

        await cluster.CreateExecutionAsync("plain");

        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("plain")).Status!.Phase);
        Assert.Equal(0, cluster.Emulator.Faults.Requests("POST", "resourcequotas"));
    }
}
