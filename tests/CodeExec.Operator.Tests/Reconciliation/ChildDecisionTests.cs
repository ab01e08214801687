using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>The pure decisions behind the ensure step: which refusals are final, and which existing objects are ours.</summary>
public sealed class ChildDecisionTests
{
    [Theory]
    [InlineData(400, true)]
    [InlineData(403, true)]
    [InlineData(404, true)]
    [InlineData(422, true)]
    [InlineData(401, false)]
    [InlineData(408, false)]
    [InlineData(409, false)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void Only_client_errors_no_retry_can_change_are_final(int code, bool final) =>
        Assert.Equal(final, ChildRefusal.IsFinal((HttpStatusCode)code));

    [Theory]
    [InlineData("pods \"x\" is forbidden: exceeded quota: q, requested: limits.memory=2Gi, used: limits.memory=9Gi, limited: limits.memory=10Gi", true)]
    [InlineData("pods \"x\" is forbidden: failed quota: q: must specify limits.cpu", true)]
    [InlineData("exceeded quota: q", true)]
    [InlineData("pods \"x\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found", false)]
    [InlineData("pods \"exceeded quota\" is forbidden: violates PodSecurity", false)]
    public void Quota_refusals_are_told_by_the_ResourceQuota_plugins_words(string message, bool quota) =>
        Assert.Equal(quota, ChildRefusal.IsQuota(message));

    [Fact]
    public void A_refusal_quotes_the_Status_message_and_reason()
    {
        var body = """{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"p\" is forbidden: exceeded quota: q","reason":"Forbidden","code":403}""";
        var error = new HttpOperationException("forbidden")
        {
            Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.Forbidden) { ReasonPhrase = "Forbidden" }, body),
        };

        var refusal = ChildRefusal.From(isPod: true, "Pod", "p", error);

        Assert.Equal(ExecutionReason.QuotaExceeded, refusal.Reason);
        Assert.Equal("the API server refused to create Pod p (403 Forbidden): pods \"p\" is forbidden: exceeded quota: q", refusal.Message);
    }

    [Fact]
    public void The_rendered_children_are_ours_and_a_copied_ownerReference_is_not_enough()
    {
        var request = TestObjects.Request();
        var children = SandboxRenderer.Render(request, new SandboxOptions());
        var uid = request.Execution.Metadata.Uid;
        foreach (var child in children.InCreationOrder)
        {
            Assert.Null(ChildOwnership.WhyNotOurs(child, child, uid));
            Assert.NotNull(ChildOwnership.WhyNotOurs(child, child, "another-uid"));
        }

        var widened = SandboxRenderer.NetworkPolicy(request);
        widened.Spec.Egress = [new V1NetworkPolicyEgressRule()];
        Assert.NotNull(ChildOwnership.WhyNotOurs(children.NetworkPolicy, widened, uid));

        var other = SandboxRenderer.CodeConfigMap(request);
        other.Data["code"] = "print('all tests passed')";
        Assert.NotNull(ChildOwnership.WhyNotOurs(children.CodeConfigMap!, other, uid));

        var extra = SandboxRenderer.Pod(request, new SandboxOptions());
        extra.Spec.Containers.Add(new V1Container { Name = "spy", Image = "busybox" });
        Assert.NotNull(ChildOwnership.WhyNotOurs(children.Pod, extra, uid));
    }

    [Fact]
    public void Fields_the_API_server_adds_to_a_Pod_do_not_make_it_foreign()
    {
        var request = TestObjects.Request();
        var rendered = SandboxRenderer.Pod(request, new SandboxOptions());
        var live = SandboxRenderer.Pod(request, new SandboxOptions());
        live.Spec.NodeName = "node-1";
        live.Spec.SchedulerName = "default-scheduler";
        live.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log";

        Assert.Null(ChildOwnership.WhyNotOurs(rendered, live, request.Execution.Metadata.Uid));
    }

    [Fact]
    public void Event_names_stay_within_253_characters_for_the_longest_execution_names()
    {
        var name = new string('a', 250) + "-b.c";
        var eventName = ExecutionEvents.EventName(name, "0b6c3e9e-1111-2222-3333-444455556666", "OutputTruncated");

        Assert.True(eventName.Length <= 253, eventName.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith(".0b6c3e9e.outputtruncated", eventName, StringComparison.Ordinal);
        Assert.Equal("hello.0b6c3e9e.created", ExecutionEvents.EventName("hello", "0b6c3e9e-1111", "Created"));
    }

    [Fact]
    public void A_status_of_an_execution_that_never_got_a_Pod_is_final_and_says_why()
    {
        var execution = TestObjects.Execution();
        var run = SandboxRun.From(TestObjects.Request(execution));

        var status = FinalStatusBuilder.NotStarted(execution, ExecutionReason.PodRejected, "refused", run, TimeProvider.System);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.PodRejected, "refused"), (status.Phase, status.Reason, status.Message));
        Assert.Contains(status.Conditions!, c => c is { Type: "PodCreated", Status: "False", Reason: ExecutionReason.PodRejected });
        Assert.Contains(status.Conditions!, c => c is { Type: "Finished", Status: "True" });
        Assert.NotNull(status.CompletionTime);
        Assert.Null(status.PodName);
        Assert.Equal(run.CodeSha256, status.CodeSha256);
    }
}
