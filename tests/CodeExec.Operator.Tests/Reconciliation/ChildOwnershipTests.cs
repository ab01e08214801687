using System.Security.Cryptography;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Issue 9.1, security review findings 1, 2 and 11: children are this execution's or nothing. Each test plays one PoC
/// of the review. Most create the execution before the operator starts, so the tenant's object is in place first, as
/// it is while an execution waits in Queued.
/// </summary>
public sealed class ChildOwnershipTests : IAsyncLifetime
{
    private const string ForgedCode = "print('all tests passed')";

    private SandboxCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await SandboxCluster.StartAsync();

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task PoC_A_orphaned_children_of_a_predecessor_with_the_same_name_are_never_used_or_deleted()
    {
        // Step 1: the Pod create keeps failing (5xx, retried), so the NetworkPolicy and the code copy exist without a Pod.
        _cluster.Emulator.Faults.FailRequests("POST", "pods", 500);
        var first = await _cluster.StartOperatorAsync();
        var predecessor = await _cluster.CreateExecutionAsync("pivot", code: "print('step one')");
        await EmulatedCluster.EventuallyAsync(async () => (await ChildrenOfAsync(predecessor.Metadata.Uid)).Count == 2, "the policy and the code copy exist");
        await first.KillAsync();

        // Step 2: delete the execution, orphaning its children.
        await _cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, SandboxCluster.Namespace,
            ApiConstants.CodeExecutionPlural, "pivot", new V1DeleteOptions { PropagationPolicy = "Orphan" }, cancellationToken: Ct);
        await _cluster.WaitForAsync("pivot", e => e is null, what: "the predecessor is gone");
        var policies = (await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
        var maps = (await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
        var orphanPolicy = Assert.Single(policies, p => p.Metadata.Name.StartsWith("pivot-", StringComparison.Ordinal));
        var orphanCode = Assert.Single(maps, m => m.Metadata.Name.StartsWith("pivot-", StringComparison.Ordinal));

        // Step 3: the same name again, with other code.
        _cluster.Emulator.Faults.Reset();
        _cluster.ScriptSandbox("pivot", new ScriptedContainer(), "step three\n");
        var successor = await _cluster.CreateExecutionAsync("pivot", code: "print('step three')");
        await _cluster.StartOperatorAsync();
        var status = (await _cluster.WaitForFinalAsync("pivot")).Status!;

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(Sha256("print('step three')"), status.CodeSha256);
        Assert.NotEqual(orphanPolicy.Metadata.Name, SandboxNames.NetworkPolicy(successor));
        Assert.NotEqual(orphanCode.Metadata.Name, SandboxNames.Code(successor));
        Assert.NotEqual(orphanPolicy.Metadata.Uid, status.NetworkPolicyUid);
        Assert.NotEqual(orphanCode.Metadata.Uid, status.CodeObjectUid);
        // Not this execution's: left alone.
        Assert.Equal(orphanPolicy.Metadata.Uid, (await _cluster.Client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(orphanPolicy.Metadata.Name,
            SandboxCluster.Namespace, cancellationToken: Ct)).Metadata.Uid);
        Assert.Equal(orphanCode.Metadata.Uid, (await _cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(orphanCode.Metadata.Name,
            SandboxCluster.Namespace, cancellationToken: Ct)).Metadata.Uid);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PoC_B_a_precreated_code_ConfigMap_with_other_code_is_never_mounted(bool forgedOwnership)
    {
        using var recorder = await ObjectRecorder.StartAsync(_cluster.Client, SandboxCluster.Namespace);
        _cluster.ScriptSandbox("job42", new ScriptedContainer(), "ran\n");
        var execution = await _cluster.CreateExecutionAsync("job42");
        var names = await _cluster.ChildNamesAsync("job42");
        var planted = await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = Planted(names.Code, execution, forgedOwnership),
            Data = new Dictionary<string, string> { ["code"] = ForgedCode },
            Immutable = true,
        }, SandboxCluster.Namespace, cancellationToken: Ct);

        await _cluster.StartOperatorAsync();
        var status = (await _cluster.WaitForFinalAsync("job42")).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.NameConflict), (status.Phase, status.Reason));
        Assert.Contains("ConfigMap " + names.Code, status.Message, StringComparison.Ordinal);
        Assert.Empty(recorder.PodsCreated(names.Pod));
        Assert.Null(status.Stdout);
        await AssertStillThereAsync(planted);
        await EmulatedCluster.EventuallyAsync(async () => !(await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace,
            cancellationToken: Ct)).Items.Any(p => p.Metadata.Name == names.Policy), "the execution's own NetworkPolicy is deleted");
    }

    [Fact]
    public async Task A_precreated_NetworkPolicy_that_does_not_isolate_the_sandbox_is_never_used_or_deleted()
    {
        using var recorder = await ObjectRecorder.StartAsync(_cluster.Client, SandboxCluster.Namespace);
        var execution = await _cluster.CreateExecutionAsync("open");
        var names = await _cluster.ChildNamesAsync("open");
        var planted = await _cluster.Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy
        {
            Metadata = Planted(names.Policy, execution, forgedOwnership: true),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["nothing"] = "here" } },
                PolicyTypes = ["Ingress", "Egress"],
            },
        }, SandboxCluster.Namespace, cancellationToken: Ct);

        await _cluster.StartOperatorAsync();
        var status = (await _cluster.WaitForFinalAsync("open")).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.NameConflict), (status.Phase, status.Reason));
        Assert.Contains("NetworkPolicy " + names.Policy, status.Message, StringComparison.Ordinal);
        Assert.Empty(recorder.PodsCreated(names.Pod));
        await Task.Delay(500, Ct);
        await AssertStillThereAsync(planted);
    }

    [Fact]
    public async Task PoC_C_a_short_name_equal_to_the_cut_name_of_a_long_one_shares_no_child_with_it()
    {
        var victimName = "victim-" + new string('v', 70);
        _cluster.ScriptSandbox(victimName, new ScriptedContainer(), "victim\n");
        var victim = await _cluster.CreateExecutionAsync(victimName, code: "print('victim')");
        var attackerName = SandboxNames.Code(victim)[..^"-code".Length];
        _cluster.ScriptSandbox(attackerName, new ScriptedContainer(), "attacker\n");
        var attacker = await _cluster.CreateExecutionAsync(attackerName, code: "print('attacker')");

        await _cluster.StartOperatorAsync();
        var victimStatus = (await _cluster.WaitForFinalAsync(victimName)).Status!;
        var attackerStatus = (await _cluster.WaitForFinalAsync(attackerName)).Status!;

        Assert.Equal((ExecutionPhase.Succeeded, "victim\n", Sha256("print('victim')")), (victimStatus.Phase, victimStatus.Stdout, victimStatus.CodeSha256));
        Assert.Equal((ExecutionPhase.Succeeded, "attacker\n", Sha256("print('attacker')")), (attackerStatus.Phase, attackerStatus.Stdout, attackerStatus.CodeSha256));
        Assert.NotEqual(SandboxNames.Code(victim), SandboxNames.Code(attacker));
        Assert.NotEqual(SandboxNames.NetworkPolicy(victim), SandboxNames.NetworkPolicy(attacker));
        Assert.NotEqual(SandboxNames.Pod(victim), SandboxNames.Pod(attacker));
    }

    [Fact]
    public async Task Finding_2_tenant_named_executions_never_delete_objects_they_do_not_own()
    {
        var denyAll = await _cluster.Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "default-deny-all", NamespaceProperty = SandboxCluster.Namespace },
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Ingress", "Egress"] },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        var denyEgress = await _cluster.Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "default-deny-egress", NamespaceProperty = SandboxCluster.Namespace },
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Egress"] },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        var secret = await _cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "registry-code", NamespaceProperty = SandboxCluster.Namespace },
            StringData = new Dictionary<string, string> { ["token"] = "t" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        var map = await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "default-code", NamespaceProperty = SandboxCluster.Namespace },
            Data = new Dictionary<string, string> { ["k"] = "v" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);

        _cluster.ScriptSandbox("default", new ScriptedContainer(), "ok\n");
        await _cluster.StartOperatorAsync();
        await _cluster.CreateExecutionAsync("default");
        await _cluster.CreateExecutionAsync("default-deny", spec =>
        {
            spec.Runtime = "nope";
            spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["example.com"] };
        });
        await _cluster.CreateExecutionAsync("registry", spec =>
        {
            spec.Runtime = "nope";
            spec.Code = null;
            spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "anything", Key = "k" } };
        });
        Assert.Equal(ExecutionPhase.Succeeded, (await _cluster.WaitForFinalAsync("default")).Status!.Phase);
        Assert.Equal(ExecutionPhase.Rejected, (await _cluster.WaitForFinalAsync("default-deny")).Status!.Phase);
        Assert.Equal(ExecutionPhase.Rejected, (await _cluster.WaitForFinalAsync("registry")).Status!.Phase);

        // A new leader cleans finished executions up again: still nothing of anyone else.
        await _cluster.StartOperatorAsync();
        await Task.Delay(1000, Ct);

        await AssertStillThereAsync(denyAll);
        await AssertStillThereAsync(denyEgress);
        await AssertStillThereAsync(secret);
        await AssertStillThereAsync(map);
    }

    [Fact]
    public async Task N1_a_Pod_whose_status_write_failed_is_deleted_before_its_NetworkPolicy_when_the_retry_ends_NameConflict()
    {
        using var recorder = await ObjectRecorder.StartAsync(_cluster.Client, SandboxCluster.Namespace);
        await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "source", NamespaceProperty = SandboxCluster.Namespace },
            Data = new Dictionary<string, string> { ["code"] = "print('first')" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        _cluster.ScriptSandbox("retried", new ScriptedContainer { RunsUntilStopped = true });

        // The PodCreated status write keeps failing with 409 (a tenant annotating the execution): the Pod runs, its UID unrecorded.
        _cluster.Emulator.Faults.FailRequests("PUT", "codeexecutions/status", 409);
        var first = await _cluster.StartOperatorAsync();
        await _cluster.CreateExecutionAsync("retried", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "source", Key = "code" } };
        });
        var names = await _cluster.ChildNamesAsync("retried");
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(names.Pod) is not null
            && _cluster.Emulator.Faults.InjectedFailures > 0, "the sandbox Pod exists and its status write failed");
        await first.KillAsync();

        // The tenant changes the code source between attempts: the retry renders another code object, which is not the one in place.
        await _cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "source", NamespaceProperty = SandboxCluster.Namespace },
            Data = new Dictionary<string, string> { ["code"] = "print('second')" },
        }, "source", SandboxCluster.Namespace, cancellationToken: Ct);
        _cluster.Emulator.Faults.Reset();
        await _cluster.StartOperatorAsync();

        var status = (await _cluster.WaitForFinalAsync("retried")).Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.NameConflict), (status.Phase, status.Reason));
        Assert.Contains("ConfigMap " + names.Code, status.Message, StringComparison.Ordinal);
        Assert.Contains("Pod " + names.Pod, status.Message, StringComparison.Ordinal);
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(names.Pod) is null, "the sandbox Pod is deleted");
        await EmulatedCluster.EventuallyAsync(() => Task.FromResult(recorder.Events.Any(e => e is { Type: WatchEventType.Deleted, Kind: "NetworkPolicy" }
            && e.Name == names.Policy)), "the NetworkPolicy is deleted");

        // The Pod was gone before its NetworkPolicy.
        var podDeleted = Assert.Single(recorder.Events, e => e is { Type: WatchEventType.Deleted, Kind: "Pod" } && e.Name == names.Pod);
        var policyDeleted = Assert.Single(recorder.Events, e => e is { Type: WatchEventType.Deleted, Kind: "NetworkPolicy" } && e.Name == names.Policy);
        Assert.True(podDeleted.ResourceVersion < policyDeleted.ResourceVersion,
            $"Pod deleted at {podDeleted.ResourceVersion}, NetworkPolicy at {policyDeleted.ResourceVersion}");
    }

    [Fact]
    public async Task Finding_11_a_tenant_made_Pod_with_a_matching_ownerReference_is_never_read()
    {
        var execution = await _cluster.CreateExecutionAsync("job1");
        var names = await _cluster.ChildNamesAsync("job1");
        var forged = SandboxCluster.CollectorRecord(Encoding.UTF8.GetBytes("forged\n"), [], SandboxCluster.DefaultOutputBytes);
        var runner = (ScriptedPodRunner)_cluster.Runner;
        runner.ScriptPodNamed(names.Pod, ScriptedPod.With(("code", new ScriptedContainer()), ("collector", ScriptedContainer.Sidecar(forged))));
        await _cluster.Client.CoreV1.CreateNamespacedPodAsync(TenantPod(names.Pod, execution), SandboxCluster.Namespace, cancellationToken: Ct);

        await _cluster.StartOperatorAsync();
        var status = (await _cluster.WaitForFinalAsync("job1")).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.NameConflict), (status.Phase, status.Reason));
        Assert.Contains("Pod " + names.Pod, status.Message, StringComparison.Ordinal);
        Assert.Null(status.Stdout);
        Assert.Null(status.PodUid);
    }

    [Fact]
    public async Task Finding_11_a_Pod_put_in_place_of_the_sandbox_mid_run_is_never_read()
    {
        await _cluster.StartOperatorAsync();
        _cluster.ScriptSandbox("job2", new ScriptedContainer { RunsUntilStopped = true });
        var execution = await _cluster.CreateExecutionAsync("job2");
        var running = await _cluster.WaitForPhaseAsync("job2", ExecutionPhase.Running);
        var podName = running.Status!.PodName!;
        var forged = SandboxCluster.CollectorRecord(Encoding.UTF8.GetBytes("forged\n"), [], SandboxCluster.DefaultOutputBytes);
        ((ScriptedPodRunner)_cluster.Runner).ScriptPodNamed(podName,
            ScriptedPod.With(("code", new ScriptedContainer()), ("collector", ScriptedContainer.Sidecar(forged))));

        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(podName, SandboxCluster.Namespace, new V1DeleteOptions { GracePeriodSeconds = 0 },
            cancellationToken: Ct);
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(podName) is null, "the sandbox Pod is gone");
        await _cluster.Client.CoreV1.CreateNamespacedPodAsync(TenantPod(podName, execution), SandboxCluster.Namespace, cancellationToken: Ct);

        var status = (await _cluster.WaitForFinalAsync("job2")).Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.PodDeleted), (status.Phase, status.Reason));
        Assert.NotEqual("forged\n", status.Stdout);
        Assert.Equal(running.Status.PodUid, status.PodUid);
    }

    [Fact]
    public async Task A_NetworkPolicy_deleted_while_the_Pod_runs_ends_the_execution_and_stops_the_Pod()
    {
        await _cluster.StartOperatorAsync();
        _cluster.ScriptSandbox("exposed", new ScriptedContainer { RunsUntilStopped = true });
        await _cluster.CreateExecutionAsync("exposed", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        var running = await _cluster.WaitForPhaseAsync("exposed", ExecutionPhase.Running);
        var names = await _cluster.ChildNamesAsync("exposed");

        await _cluster.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(names.Policy, SandboxCluster.Namespace, cancellationToken: Ct);

        var status = (await _cluster.WaitForAsync("exposed", e => ExecutionPhase.IsFinal(e?.Status?.Phase), TimeSpan.FromSeconds(20), "a final phase"))!.Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.IsolationLost), (status.Phase, status.Reason));
        Assert.Contains("NetworkPolicy " + names.Policy, status.Message, StringComparison.Ordinal);
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(running.Status!.PodName!) is null, "the sandbox Pod is deleted");
    }

    [Fact]
    public async Task A_NetworkPolicy_changed_while_the_Pod_runs_ends_the_execution()
    {
        await _cluster.StartOperatorAsync();
        _cluster.ScriptSandbox("widened", new ScriptedContainer { RunsUntilStopped = true });
        await _cluster.CreateExecutionAsync("widened", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        await _cluster.WaitForPhaseAsync("widened", ExecutionPhase.Running);
        var names = await _cluster.ChildNamesAsync("widened");

        var allowAll = new V1Patch("""{"spec":{"egress":[{}]}}""", V1Patch.PatchType.MergePatch);
        await _cluster.Client.NetworkingV1.PatchNamespacedNetworkPolicyAsync(allowAll, names.Policy, SandboxCluster.Namespace, cancellationToken: Ct);

        var status = (await _cluster.WaitForAsync("widened", e => ExecutionPhase.IsFinal(e?.Status?.Phase), TimeSpan.FromSeconds(20), "a final phase"))!.Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.IsolationLost), (status.Phase, status.Reason));
        Assert.Contains("changed", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task N3_IsolationLost_stops_a_Pod_that_ignores_SIGTERM_at_once_and_its_NetworkPolicy_outlives_it()
    {
        await using var cluster = await SandboxCluster.StartAsync(gracefulPodDeletion: true);
        using var recorder = await ObjectRecorder.StartAsync(cluster.Client, SandboxCluster.Namespace);
        await cluster.StartOperatorAsync();
        cluster.ScriptSandbox("stubborn", new ScriptedContainer { RunsUntilStopped = true, IgnoresTermination = true });
        await cluster.CreateExecutionAsync("stubborn", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        await cluster.WaitForPhaseAsync("stubborn", ExecutionPhase.Running);
        var names = await cluster.ChildNamesAsync("stubborn");

        var allowAll = new V1Patch("""{"spec":{"egress":[{}]}}""", V1Patch.PatchType.MergePatch);
        await cluster.Client.NetworkingV1.PatchNamespacedNetworkPolicyAsync(allowAll, names.Policy, SandboxCluster.Namespace, cancellationToken: Ct);

        var status = (await cluster.WaitForAsync("stubborn", e => ExecutionPhase.IsFinal(e?.Status?.Phase), TimeSpan.FromSeconds(20), "a final phase"))!.Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.IsolationLost), (status.Phase, status.Reason));
        await EmulatedCluster.EventuallyAsync(() => recorder.Events.Any(e => e is { Type: WatchEventType.Deleted, Kind: "NetworkPolicy" } && e.Name == names.Policy),
            "the NetworkPolicy is deleted");

        // The Pod is gone before its policy is deleted (the code ignores SIGTERM: a graceful deletion would keep it 5 s more).
        var podDeleted = Assert.Single(recorder.Events, e => e is { Type: WatchEventType.Deleted, Kind: "Pod" } && e.Name == names.Pod);
        var policyDeleted = Assert.Single(recorder.Events, e => e is { Type: WatchEventType.Deleted, Kind: "NetworkPolicy" } && e.Name == names.Policy);
        Assert.True(podDeleted.ResourceVersion < policyDeleted.ResourceVersion,
            $"Pod deleted at {podDeleted.ResourceVersion}, NetworkPolicy at {policyDeleted.ResourceVersion}");
    }

    [Fact]
    public async Task A_code_ConfigMap_replaced_before_the_code_starts_ends_the_execution()
    {
        // No kubelet: the Pod is bound but its code never starts. ConfigMaps are not watched (the operator may not list
        // or watch them), so the replacement is found at the next reconcile, here one the test causes.
        await _cluster.Node.Kubelet.DisposeAsync();
        await _cluster.StartOperatorAsync();
        var execution = await _cluster.CreateExecutionAsync("swapped", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        await _cluster.WaitForAsync("swapped", e => e?.Status?.PodUid is not null, what: "the Pod created");
        var names = await _cluster.ChildNamesAsync("swapped");

        await _cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync(names.Code, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = Planted(names.Code, execution, forgedOwnership: true),
            Data = new Dictionary<string, string> { ["code"] = ForgedCode },
            Immutable = true,
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        var touch = new V1Patch("""{"metadata":{"annotations":{"test/touched":"1"}}}""", V1Patch.PatchType.MergePatch);
        await _cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(touch, ApiConstants.Group, ApiConstants.Version, SandboxCluster.Namespace,
            ApiConstants.CodeExecutionPlural, "swapped", cancellationToken: Ct);

        var status = (await _cluster.WaitForAsync("swapped", e => ExecutionPhase.IsFinal(e?.Status?.Phase), TimeSpan.FromSeconds(20), "a final phase"))!.Status!;
        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.IsolationLost), (status.Phase, status.Reason));
        Assert.Contains("ConfigMap " + names.Code, status.Message, StringComparison.Ordinal);
        Assert.Null(await _cluster.GetPodAsync(names.Pod));
    }

    [Fact]
    public async Task A_code_ConfigMap_replaced_after_the_code_started_changes_nothing_that_runs_and_is_never_deleted()
    {
        // The kubelet mounted the immutable ConfigMap before the start and never refreshes it (KEP-1412, the kubelet's
        // watch-based manager stops watching immutable objects): the run goes on with the operator's code, and the
        // planted object, not the operator's (another UID), survives the clean-up.
        await _cluster.StartOperatorAsync();
        _cluster.ScriptSandbox("late-swap", new ScriptedContainer { RunsUntilStopped = true, StdoutOnTermination = "ok\n"u8.ToArray(), ExitCodeOnTermination = 0 });
        var execution = await _cluster.CreateExecutionAsync("late-swap", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        await _cluster.WaitForPhaseAsync("late-swap", ExecutionPhase.Running);
        var names = await _cluster.ChildNamesAsync("late-swap");

        await _cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync(names.Code, SandboxCluster.Namespace, cancellationToken: Ct);
        var planted = await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = Planted(names.Code, execution, forgedOwnership: true),
            Data = new Dictionary<string, string> { ["code"] = ForgedCode },
            Immutable = true,
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(names.Pod, SandboxCluster.Namespace, cancellationToken: Ct);

        var status = (await _cluster.WaitForAsync("late-swap", e => ExecutionPhase.IsFinal(e?.Status?.Phase), TimeSpan.FromSeconds(20), "a final phase"))!.Status!;
        Assert.NotEqual(ExecutionReason.IsolationLost, status.Reason);
        var kept = await _cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(names.Code, SandboxCluster.Namespace, cancellationToken: Ct);
        Assert.Equal(planted.Metadata.Uid, kept.Metadata.Uid);
    }

    private static V1ObjectMeta Planted(string name, CodeExecution execution, bool forgedOwnership) => new()
    {
        Name = name,
        NamespaceProperty = SandboxCluster.Namespace,
        Labels = SandboxNames.Labels(execution.Metadata.Name, execution.Metadata.Uid, SandboxNames.RoleCode),
        Annotations = new Dictionary<string, string> { [SandboxNames.CodeSha256Annotation] = Sha256(execution.Spec.Code!) },
        OwnerReferences = forgedOwnership
            ?
            [
                new V1OwnerReference
                {
                    ApiVersion = ApiConstants.ApiVersion, Kind = ApiConstants.CodeExecutionKind, Name = execution.Metadata.Name,
                    Uid = execution.Metadata.Uid, Controller = true,
                },
            ]
            : null,
    };

    private static V1Pod TenantPod(string name, CodeExecution execution)
    {
        var metadata = Planted(name, execution, forgedOwnership: true);
        metadata.Labels = SandboxNames.Labels(execution.Metadata.Name, execution.Metadata.Uid, SandboxNames.RoleSandbox);
        metadata.Annotations[SandboxNames.RuntimeAnnotation] = SandboxCluster.Runtime;
        return new V1Pod
        {
            Metadata = metadata,
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                RuntimeClassName = "gvisor",
                InitContainers =
                [
                    new V1Container
                    {
                        Name = "collector", Image = "busybox", RestartPolicy = "Always", Args = ["--limit-bytes", "2147483647"],
                        Command = ["sh", "-c", "sleep 3600"],
                    },
                ],
                Containers = [new V1Container { Name = "code", Image = "python:3.12-slim", Command = ["true"] }],
            },
        };
    }

    private async Task<IReadOnlyList<V1ObjectMeta>> ChildrenOfAsync(string uid)
    {
        var policies = (await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
        var maps = (await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items;
        return [.. policies.Select(p => p.Metadata).Concat(maps.Select(m => m.Metadata)).Where(m => m.OwnerReferences?.Any(o => o.Uid == uid) == true)];
    }

    private async Task AssertStillThereAsync(IKubernetesObject<V1ObjectMeta> planted)
    {
        var name = planted.Metadata.Name;
        IKubernetesObject<V1ObjectMeta> live = planted switch
        {
            V1NetworkPolicy => await _cluster.Client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(name, SandboxCluster.Namespace, cancellationToken: Ct),
            V1ConfigMap => await _cluster.Client.CoreV1.ReadNamespacedConfigMapAsync(name, SandboxCluster.Namespace, cancellationToken: Ct),
            V1Secret => await _cluster.Client.CoreV1.ReadNamespacedSecretAsync(name, SandboxCluster.Namespace, cancellationToken: Ct),
            _ => throw new ArgumentException("unexpected kind", nameof(planted)),
        };
        Assert.Equal(planted.Metadata.Uid, live.Metadata.Uid);
        Assert.Null(live.Metadata.DeletionTimestamp);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
