using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Controller.Fakes;
using CodeExec.Operator.Tests.Sandbox;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Branches of <see cref="CodeExecutionReconciler"/> on an in-memory <see cref="IOperatorApi"/> (no API server, no
/// kubelet): which requests it sends, in what order, and what it writes into status.
/// </summary>
public sealed class ReconcilerOnFakeApiTests
{
    private readonly FakeOperatorApi _api = new();
    private readonly ObjectCache<CodeExecution> _executions = new();
    private readonly ObjectCache<CodeRuntime> _runtimes = new();
    private readonly ObjectCache<V1Pod> _pods = new();
    private readonly ObjectCache<V1NetworkPolicy> _policies = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CodeExecution _execution = TestObjects.Execution();
    private readonly ObjectKey _key;

    public ReconcilerOnFakeApiTests()
    {
        _execution.Metadata.ResourceVersion = "100";
        _key = ObjectKey.Of(_execution);
        _runtimes.Upsert(TestObjects.Runtime());
        _executions.Upsert(Clone(_execution));
        _api.Execution = Clone(_execution);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_execution_the_API_server_no_longer_has_is_done_after_one_read()
    {
        _api.Execution = null;

        var result = await Reconciler().ReconcileAsync(_key, Ct);

        Assert.Equal(ReconcileResult.Done, result);
        Assert.Equal(["get codeexecutions hello"], _api.Calls);
    }

    [Fact]
    public async Task The_first_reconcile_creates_the_policy_then_the_code_then_the_Pod_and_records_their_UIDs()
    {
        await Reconciler().ReconcileAsync(_key, Ct);

        var creates = _api.Calls.Where(c => c.StartsWith("create ", StringComparison.Ordinal) && !c.StartsWith("create events", StringComparison.Ordinal)).ToList();
        Assert.Equal(["create networkpolicies", "create configmaps", "create pods"], creates.Select(c => string.Join(' ', c.Split(' ')[..2])).Take(3));
        Assert.True(_api.Calls.IndexOf(creates[2]) < _api.Calls.FindIndex(c => c.StartsWith("update codeexecutions/status", StringComparison.Ordinal)));
        var status = _api.Execution!.Status!;
        Assert.Equal(_api.Find<V1Pod>("pods", SandboxNames.Pod(_execution))!.Metadata.Uid, status.PodUid);
        Assert.Equal(_api.Find<V1NetworkPolicy>("networkpolicies", SandboxNames.NetworkPolicy(_execution))!.Metadata.Uid, status.NetworkPolicyUid);
        Assert.Equal(_api.Find<V1ConfigMap>("configmaps", SandboxNames.Code(_execution))!.Metadata.Uid, status.CodeObjectUid);
        Assert.Contains("create events hello.0b6c3e9e.created", _api.Calls);
    }

    [Fact]
    public async Task A_Pod_name_taken_by_a_foreign_Pod_ends_NameConflict_and_deletes_only_what_this_execution_made_by_UID()
    {
        _api.Put("pods", new V1Pod { Metadata = new V1ObjectMeta { Name = SandboxNames.Pod(_execution), NamespaceProperty = "team-a", Uid = "foreign" } });

        await Reconciler().ReconcileAsync(_key, Ct);

        var status = _api.Execution!.Status!;
        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(ExecutionReason.NameConflict, status.Reason);
        Assert.Null(status.PodUid);
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete pods", StringComparison.Ordinal));
        Assert.Equal("foreign", _api.Find<V1Pod>("pods", SandboxNames.Pod(_execution))!.Metadata.Uid);
        Assert.Equal(status.CodeObjectUid, _api.DeletePreconditions[$"configmaps {SandboxNames.Code(_execution)}"]);
        Assert.Equal(status.NetworkPolicyUid, _api.DeletePreconditions[$"networkpolicies {SandboxNames.NetworkPolicy(_execution)}"]);
        Assert.Null(_api.Find<V1ConfigMap>("configmaps", SandboxNames.Code(_execution)));
    }

    [Fact]
    public async Task A_lost_status_write_fails_the_reconcile_and_the_retry_uses_the_children_the_first_attempt_made()
    {
        _api.Refuse = call => call == "update codeexecutions/status" ? FakeOperatorApi.Answer(HttpStatusCode.Conflict, "Conflict") : null;

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Reconciler().ReconcileAsync(_key, Ct));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete ", StringComparison.Ordinal));
        var pod = _api.Find<V1Pod>("pods", SandboxNames.Pod(_execution))!;

        _api.Refuse = _ => null;
        _api.Calls.Clear();
        await Reconciler().ReconcileAsync(_key, Ct);

        Assert.Equal(pod.Metadata.Uid, _api.Execution!.Status!.PodUid);
        Assert.Contains($"get pods {pod.Metadata.Name}", _api.Calls);
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_finished_Pod_whose_logs_are_gone_ends_with_the_kubelet_s_exit_code_and_says_the_output_was_not_collected()
    {
        await Reconciler().ReconcileAsync(_key, Ct);
        var pod = _api.Find<V1Pod>("pods", SandboxNames.Pod(_execution))!;
        var now = _time.GetUtcNow().UtcDateTime;
        pod.Status = new V1PodStatus
        {
            Phase = "Succeeded",
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = SandboxRenderer.CodeContainerName,
                    State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, Reason = "Completed", StartedAt = now.AddSeconds(-2), FinishedAt = now } },
                },
            ],
        };
        _pods.Upsert(pod);
        _policies.Upsert(_api.Find<V1NetworkPolicy>("networkpolicies", SandboxNames.NetworkPolicy(_execution))!);
        _api.Calls.Clear();

        var result = await Reconciler().ReconcileAsync(_key, Ct);

        var status = _api.Execution!.Status!;
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("output not collected: the collector's log could not be read (404", status.Message, StringComparison.Ordinal);
        Assert.Contains($"get pods/log {pod.Metadata.Name} {SandboxRenderer.CollectorContainerName}", _api.Calls);
        // The Pod goes first, by UID; the NetworkPolicy stays while the Pod is still cached, and the clean-up is retried.
        Assert.Equal(pod.Metadata.Uid, _api.DeletePreconditions[$"pods {pod.Metadata.Name}"]);
        Assert.DoesNotContain(_api.Calls, c => c.StartsWith("delete networkpolicies", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromSeconds(1), result.RequeueAfter);
    }

    private CodeExecutionReconciler Reconciler()
    {
        var sandbox = Options.Create(new SandboxOptions());
        var executions = Options.Create(new ExecutionOptions());
        return new CodeExecutionReconciler(_api, _executions, _runtimes, _pods, _policies, new ObjectCache<V1Namespace>(), new NoEgress(), sandbox, executions,
            new ExecutionEvents(_api, _time, NullLogger<ExecutionEvents>.Instance),
            new ExecutionMetrics(TestMeters.Factory(), _runtimes),
            new SandboxQuotas(_api, executions, sandbox, NullLogger<SandboxQuotas>.Instance),
            _time, NullLogger<CodeExecutionReconciler>.Instance);
    }

    private static CodeExecution Clone(CodeExecution execution) => KubernetesJson.Deserialize<CodeExecution>(KubernetesJson.Serialize(execution));

    private sealed class NoEgress : IEgressResolver
    {
        public Task<IReadOnlyDictionary<string, IReadOnlyList<System.Net.IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no egress host is asked for in these tests");
    }
}
