using CodeExec.Api;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// How the API server refuses a child create, as a test arranges it: an injected fault answering with the Status body
/// kube-apiserver's admission or validation sends. Only for refusals the emulator's real admission and validation
/// cannot be made to give the operator's children; the ones a cluster can provoke (missing RuntimeClass or
/// PriorityClass, full ResourceQuota, LimitRange maximum, missing ServiceAccount) come from the real plugins in
/// <see cref="RealRefusalTests"/>. Why each one here is unreachable:
/// <list type="bullet">
/// <item>quota "failed quota: must specify": every container of a sandbox Pod (code, collector, init and sidecars) sets
/// cpu and memory requests and limits, which is all the quota evaluator asks for (ephemeral-storage is never required).</item>
/// <item>PodSecurity: the renderer only produces restricted-compliant Pods (see Sandbox/PodSecurityRestrictedTests), and
/// the one input that could break it, a CodeRuntime with <c>runAsUser: 0</c>, is refused by the CRD schema (minimum 1)
/// and by the operator's own admission before any Pod is rendered (RealRefusalTests proves the latter).</item>
/// <item>422 Pod validation: every user input that reaches the Pod (env names, runtime class, image, command, limits) is
/// bounded by the CRD schemas or the operator's admission first, and every rendered Pod passes the emulator's Pod
/// validation (issue 7.1/7.2 tests); a 422 means an operator bug, kept as a fault so its handling stays tested.</item>
/// <item>400, the ConfigMap's 1 MiB (the CRD bounds the code far below it), and webhook/terminating-namespace 403s on the
/// NetworkPolicy and Secret: no built-in admission of the emulator gives them.</item>
/// </list>
/// </summary>
public sealed record ApiRefusal(string Name, string Resource, int Code, string Reason, string Message)
{
    public override string ToString() => Name;

    public static readonly ApiRefusal QuotaFailed = new("failed-quota", "pods", 403, "Forbidden",
        "pods \"x-sandbox\" is forbidden: failed quota: sandbox-quota: must specify limits.cpu for: code");

    public static readonly ApiRefusal PodSecurity = new("pod-security", "pods", 403, "Forbidden",
        "pods \"x-sandbox\" is forbidden: violates PodSecurity \"restricted:latest\": seccompProfile (pod or container \"code\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");

    public static readonly ApiRefusal PodInvalid = new("invalid", "pods", 422, "Invalid",
        "Pod \"x-sandbox\" is invalid: spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None");

    public static readonly ApiRefusal PodBadRequest = new("bad-request", "pods", 400, "BadRequest",
        "the object provided is unrecognized (must be of type Pod)");

    public static readonly ApiRefusal ConfigMapTooLong = new("configmap-invalid", "configmaps", 422, "Invalid",
        "ConfigMap \"x-code\" is invalid: []: Too long: must have at most 1048576 bytes");

    public static readonly ApiRefusal SecretForbidden = new("secret-forbidden", "secrets", 403, "Forbidden",
        "secrets \"x-code\" is forbidden: unable to create new content in namespace default because it is being terminated");

    public static readonly ApiRefusal NetworkPolicyForbidden = new("networkpolicy-forbidden", "networkpolicies", 403, "Forbidden",
        "networkpolicies.networking.k8s.io \"x-deny-all\" is forbidden: admission webhook \"policy.example.com\" denied the request: no per-Pod policies here");

    /// <summary>Makes every create of <see cref="Resource"/> refused this way from now on (a refusal that never changes).</summary>
    internal Task ArrangeAsync(SandboxCluster cluster)
    {
        cluster.Emulator.Faults.FailRequests("POST", Resource, Code, message: Message, reason: Reason);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Issue 7.4 and 9.3: a child create the API server refuses (4xx) ends the execution Failed at once, with a reason, a
/// message quoting the API server and an Event, and leaves no child behind; 5xx and 429 are retried. The refusals here
/// are injected (see <see cref="ApiRefusal"/>); the ones real admission gives are in <see cref="RealRefusalTests"/>.
/// </summary>
public sealed class ChildRefusalTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public static TheoryData<ApiRefusal, string> Refusals => new()
    {
        { ApiRefusal.QuotaFailed, ExecutionReason.QuotaExceeded },
        { ApiRefusal.PodSecurity, ExecutionReason.PodRejected },
        { ApiRefusal.PodInvalid, ExecutionReason.PodRejected },
        { ApiRefusal.PodBadRequest, ExecutionReason.PodRejected },
        { ApiRefusal.ConfigMapTooLong, ExecutionReason.ChildRejected },
        { ApiRefusal.NetworkPolicyForbidden, ExecutionReason.ChildRejected },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_child_create_fails_the_execution_once_quoting_the_API_server_and_leaves_no_children(ApiRefusal refusal, string reason)
    {
        await refusal.ArrangeAsync(_cluster);
        _cluster.ScriptSandbox("refused", new ScriptedContainer(), "never\n");
        await _cluster.CreateExecutionAsync("refused");

        var done = await _cluster.WaitForFinalAsync("refused");

        var status = done.Status!;
        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(reason, status.Reason);
        Assert.Contains(refusal.Message, status.Message, StringComparison.Ordinal);
        Assert.Contains($"({refusal.Code} {refusal.Reason})", status.Message, StringComparison.Ordinal);
        Assert.Null(status.Stdout);
        Assert.Contains(status.Conditions!, c => c is { Type: "PodCreated", Status: "False" } && c.Reason == reason);
        Assert.Contains(status.Conditions!, c => c is { Type: "Finished", Status: "True" } && c.Reason == reason);

        await AssertNoChildrenLeftAsync(done);
        var events = await EventsOfAsync("refused");
        var recorded = Assert.Single(events, e => e.Reason == reason);
        Assert.Equal("Warning", recorded.Type);
        Assert.Contains(refusal.Message, recorded.Message, StringComparison.Ordinal);

        // No endless retry: the refusal was met once, and a while later still only once.
        var attempts = _cluster.Emulator.Faults.InjectedFailures;
        Assert.Equal(1, attempts);
        await Task.Delay(1000, Ct);
        Assert.Equal(attempts, _cluster.Emulator.Faults.InjectedFailures);
    }

    [Fact]
    public async Task A_refused_code_Secret_fails_the_execution_and_removes_its_NetworkPolicy()
    {
        await _cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = "source",
                NamespaceProperty = SandboxCluster.Namespace,
                Labels = new Dictionary<string, string> { [ApiConstants.CodeSourceLabel] = "true" },
            },
            StringData = new Dictionary<string, string> { ["main.py"] = "print('secret code')" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        await ApiRefusal.SecretForbidden.ArrangeAsync(_cluster);
        await _cluster.CreateExecutionAsync("from-secret", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "source", Key = "main.py" } };
        });

        var done = await _cluster.WaitForFinalAsync("from-secret");

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.ChildRejected), (done.Status!.Phase, done.Status.Reason));
        Assert.Contains(ApiRefusal.SecretForbidden.Message, done.Status.Message, StringComparison.Ordinal);
        await AssertNoChildrenLeftAsync(done);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Server_errors_and_throttling_on_the_Pod_create_are_retried_and_the_execution_succeeds(int code)
    {
        _cluster.Emulator.Faults.FailRequests("POST", "pods", code, times: 3);
        _cluster.ScriptSandbox("flaky", new ScriptedContainer(), "made it\n");
        await _cluster.CreateExecutionAsync("flaky");

        var status = (await _cluster.WaitForFinalAsync("flaky")).Status!;

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal("made it\n", status.Stdout);
        Assert.Equal(3, _cluster.Emulator.Faults.InjectedFailures);
    }

    private async Task AssertNoChildrenLeftAsync(CodeExecution execution)
    {
        var uid = execution.Metadata.Uid;
        await EmulatedCluster.EventuallyAsync(async () =>
        {
            var pods = (await _cluster.Client.CoreV1.ListNamespacedPodAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            var maps = (await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            var secrets = (await _cluster.Client.CoreV1.ListNamespacedSecretAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            var policies = (await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
            IEnumerable<V1ObjectMeta> all = [.. pods.Select(p => p.Metadata), .. maps.Select(m => m.Metadata), .. secrets.Select(s => s.Metadata),
                .. policies.Select(p => p.Metadata)];
            return !all.Any(m => m.OwnerReferences?.Any(o => o.Uid == uid) == true);
        }, "no child of the execution is left");
    }

    private async Task<IReadOnlyList<Corev1Event>> EventsOfAsync(string name) =>
        (await _cluster.Client.CoreV1.ListNamespacedEventAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items
            .Where(e => e.InvolvedObject.Kind == ApiConstants.CodeExecutionKind && e.InvolvedObject.Name == name)
            .ToList();
}
