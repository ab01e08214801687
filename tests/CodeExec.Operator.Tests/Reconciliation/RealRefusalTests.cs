using CodeExec.Api;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Issue 7.4, "Done when": each admission refusal a real cluster gives the operator's sandbox Pod, provoked the way a
/// cluster provokes it (a missing RuntimeClass or PriorityClass, a full ResourceQuota, a LimitRange, a missing
/// ServiceAccount) and refused by the emulator's own admission plugins, not by an injected fault. The execution ends
/// Failed with a reason and a message quoting the API server, a Warning event, no child left and one Pod create only.
/// What our renderer cannot provoke (a PodSecurity violation, 422 Pod validation, "failed quota: must specify") stays
/// fault-injected in <see cref="ChildRefusalTests"/>, which says why.
/// </summary>
public sealed class RealRefusalTests : IAsyncLifetime
{
    private const string Name = "refused";
    private SandboxCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await SandboxCluster.StartAsync();

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_runtime_naming_a_RuntimeClass_the_cluster_lacks_fails_the_execution_PodRejected()
    {
        await _cluster.CreateRuntimeAsync("kata-python", spec => spec.RuntimeClassName = "kata");
        await _cluster.StartOperatorAsync();

        await RunRefusedAsync(spec => spec.Runtime = "kata-python");

        await AssertRefusedOnceAsync(ExecutionReason.PodRejected, "is forbidden: pod rejected: RuntimeClass \"kata\" not found");
    }

    [Fact]
    public async Task An_operator_configured_with_a_PriorityClass_the_cluster_lacks_fails_the_execution_PodRejected()
    {
        await _cluster.StartOperatorAsync(new Dictionary<string, string> { ["Sandbox:PriorityClassName"] = "codeexec-missing" });

        await RunRefusedAsync();

        await AssertRefusedOnceAsync(ExecutionReason.PodRejected, "is forbidden: no PriorityClass with name codeexec-missing was found");
    }

    [Fact]
    public async Task A_namespace_memory_quota_smaller_than_the_sandbox_fails_the_execution_QuotaExceeded()
    {
        // The sandbox's limits.memory is the code's 256Mi, the collector's 128Mi and the gvisor RuntimeClass's overhead 128Mi.
        await CreateQuotaAsync("sandbox-quota", new Dictionary<string, ResourceQuantity> { ["limits.memory"] = new("256Mi") });
        await _cluster.StartOperatorAsync();

        await RunRefusedAsync();

        var message = await AssertRefusedOnceAsync(ExecutionReason.QuotaExceeded,
            "is forbidden: exceeded quota: sandbox-quota, requested: limits.memory=512Mi, used: limits.memory=0, limited: limits.memory=256Mi");
        Assert.Contains("(403 Forbidden)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_quota_scoped_to_the_sandbox_PriorityClass_fails_the_execution_QuotaExceeded()
    {
        // config/runtime/tenant-quota's shape: a quota that counts only sandbox Pods, here with room for none.
        await CreateQuotaAsync("codeexec-sandboxes", new Dictionary<string, ResourceQuantity> { ["pods"] = new("0") },
            new V1ScopeSelector
            {
                MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "In", Values = ["codeexec-sandbox"] }],
            });
        await _cluster.StartOperatorAsync(new Dictionary<string, string> { ["Sandbox:PriorityClassName"] = "codeexec-sandbox" });

        await RunRefusedAsync();

        await AssertRefusedOnceAsync(ExecutionReason.QuotaExceeded,
            "is forbidden: exceeded quota: codeexec-sandboxes, requested: pods=1, used: pods=0, limited: pods=0");
    }

    [Fact]
    public async Task A_LimitRange_maximum_below_the_execution_memory_fails_the_execution_PodRejected()
    {
        await _cluster.Client.CoreV1.CreateNamespacedLimitRangeAsync(new V1LimitRange
        {
            Metadata = new V1ObjectMeta { Name = "small", NamespaceProperty = SandboxCluster.Namespace },
            Spec = new V1LimitRangeSpec
            {
                Limits = [new V1LimitRangeItem { Type = "Container", Max = new Dictionary<string, ResourceQuantity> { ["memory"] = new("200Mi") } }],
            },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.StartOperatorAsync();

        await RunRefusedAsync();

        await AssertRefusedOnceAsync(ExecutionReason.PodRejected, "is forbidden: maximum memory usage per Container is 200Mi, but limit is 256Mi");
    }

    [Fact]
    public async Task A_namespace_without_its_default_ServiceAccount_fails_the_execution_PodRejected()
    {
        await _cluster.Client.CoreV1.DeleteNamespacedServiceAccountAsync("default", SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.StartOperatorAsync();

        await RunRefusedAsync();

        await AssertRefusedOnceAsync(ExecutionReason.PodRejected,
            $"is forbidden: error looking up service account {SandboxCluster.Namespace}/default: serviceaccount \"default\" not found");
    }

    [Fact]
    public async Task An_execution_in_a_namespace_enforcing_the_restricted_Pod_Security_Standard_succeeds()
    {
        await LabelNamespaceRestrictedAsync();
        await _cluster.StartOperatorAsync(new Dictionary<string, string> { ["Sandbox:PriorityClassName"] = "codeexec-sandbox" });
        _cluster.ScriptSandbox("restricted", new ScriptedContainer(), "allowed\n");

        await _cluster.CreateExecutionAsync("restricted");
        var status = (await _cluster.WaitForFinalAsync("restricted")).Status!;

        Assert.Equal((ExecutionPhase.Succeeded, "allowed\n"), (status.Phase, status.Stdout));
        Assert.Equal(1, _cluster.Emulator.Faults.Requests("POST", "pods"));
    }

    [Fact]
    public async Task A_runtime_running_as_root_is_refused_before_any_Pod_so_Pod_Security_never_sees_one()
    {
        // Why no test provokes a real PodSecurity refusal: the renderer's Pods meet "restricted" in every sample and
        // option combination (Sandbox/PodSecurityRestrictedTests), and the one input that could break it, a CodeRuntime
        // with runAsUser 0, is refused by the CRD schema on a real server (minimum: 1; the emulator does not check
        // OpenAPI minimums) and here by the operator's own admission, before any Pod is created.
        await LabelNamespaceRestrictedAsync();
        await _cluster.CreateRuntimeAsync("root-python", spec => spec.RunAsUser = 0);
        await _cluster.StartOperatorAsync();

        await _cluster.CreateExecutionAsync("as-root", spec => spec.Runtime = "root-python");
        var done = await _cluster.WaitForFinalAsync("as-root");

        Assert.NotEqual(ExecutionPhase.Succeeded, done.Status!.Phase);
        Assert.Contains("must run as a non-zero user", done.Status.Message, StringComparison.Ordinal);
        Assert.Equal(0, _cluster.Emulator.Faults.Requests("POST", "pods"));
    }

    private async Task LabelNamespaceRestrictedAsync()
    {
        var ns = await _cluster.Client.CoreV1.ReadNamespaceAsync(SandboxCluster.Namespace, cancellationToken: Ct);
        ns.Metadata.Labels ??= new Dictionary<string, string>();
        ns.Metadata.Labels["pod-security.kubernetes.io/enforce"] = "restricted";
        await _cluster.Client.CoreV1.ReplaceNamespaceAsync(ns, SandboxCluster.Namespace, cancellationToken: Ct);
    }

    private async Task RunRefusedAsync(Action<CodeExecutionSpec>? configure = null)
    {
        _cluster.ScriptSandbox(Name, new ScriptedContainer(), "never\n");
        await _cluster.CreateExecutionAsync(Name, configure);
    }

    private async Task CreateQuotaAsync(string name, Dictionary<string, ResourceQuantity> hard, V1ScopeSelector? scopes = null) =>
        await _cluster.Client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = SandboxCluster.Namespace },
            Spec = new V1ResourceQuotaSpec { Hard = hard, ScopeSelector = scopes },
        }, SandboxCluster.Namespace, cancellationToken: Ct);

    /// <summary>The execution ended Failed with <paramref name="reason"/> quoting <paramref name="quote"/>, once, and left nothing behind.</summary>
    private async Task<string> AssertRefusedOnceAsync(string reason, string quote)
    {
        var done = await _cluster.WaitForFinalAsync(Name);

        var status = done.Status!;
        Assert.Equal((ExecutionPhase.Failed, reason), (status.Phase, status.Reason));
        Assert.Contains(quote, status.Message, StringComparison.Ordinal);
        Assert.Contains("the API server refused to create Pod", status.Message, StringComparison.Ordinal);
        Assert.Contains("(403 Forbidden)", status.Message, StringComparison.Ordinal);
        Assert.Null(status.Stdout);
        Assert.Contains(status.Conditions!, c => c is { Type: "PodCreated", Status: "False" } && c.Reason == reason);
        Assert.Contains(status.Conditions!, c => c is { Type: "Finished", Status: "True" } && c.Reason == reason);

        var uid = done.Metadata.Uid;
        await EmulatedCluster.EventuallyAsync(async () =>
        {
            var pods = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            var maps = (await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            var policies = (await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            IEnumerable<V1ObjectMeta> all = [.. pods.Select(p => p.Metadata), .. maps.Select(m => m.Metadata), .. policies.Select(p => p.Metadata)];
            return !all.Any(m => m.OwnerReferences?.Any(o => o.Uid == uid) == true);
        }, "no Pod, ConfigMap or NetworkPolicy of the execution is left");

        var events = (await _cluster.Client.CoreV1.ListNamespacedEventAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items
            .Where(e => e.InvolvedObject.Kind == ApiConstants.CodeExecutionKind && e.InvolvedObject.Name == Name);
        var recorded = Assert.Single(events, e => e.Reason == reason);
        Assert.Equal("Warning", recorded.Type);
        Assert.Contains(quote, recorded.Message, StringComparison.Ordinal);

        // No retry: one Pod create, and a while later still one.
        Assert.Equal(1, _cluster.Emulator.Faults.Requests("POST", "pods"));
        await Task.Delay(1000, Ct);
        Assert.Equal(1, _cluster.Emulator.Faults.Requests("POST", "pods"));
        return status.Message!;
    }
}
