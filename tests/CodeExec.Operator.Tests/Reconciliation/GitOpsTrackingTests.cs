using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// A CodeExecution a GitOps tool keeps in sync is not deleted by the default TTL: the tool would re-create it and the
/// code would run again at every TTL; one Rejected at admission ran nothing and is deleted all the same. The operator
/// runs here with a default TTL of one second.
/// </summary>
public sealed class GitOpsTrackingTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync(new Dictionary<string, string> { ["Sandbox:DefaultTtlSecondsAfterFinished"] = "1" });
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [InlineData("annotation", GitOpsTracking.ArgoCdTrackingIdAnnotation, "app:codeexec.dev/CodeExecution:default/x", "Argo CD")]
    [InlineData("label", GitOpsTracking.FluxKustomizationLabel, "apps", "Flux")]
    [InlineData("label", GitOpsTracking.FluxHelmReleaseLabel, "apps", "Flux")]
    [InlineData("label", GitOpsTracking.InstanceLabel, "apps", "Argo CD's label tracking")]
    public void Tracking_metadata_of_Argo_CD_and_Flux_is_recognised(string where, string key, string value, string tool)
    {
        var metadata = new V1ObjectMeta
        {
            Annotations = where == "annotation" ? new Dictionary<string, string> { [key] = value } : null,
            Labels = where == "label" ? new Dictionary<string, string> { [key] = value } : null,
        };

        Assert.Contains(tool, GitOpsTracking.TrackedBy(metadata), StringComparison.Ordinal);
        foreach (var ran in new[] { ExecutionPhase.Succeeded, ExecutionPhase.Failed, ExecutionPhase.TimedOut })
        {
            Assert.True(GitOpsTracking.KeepsFinished(metadata, ran, specTtlSecondsAfterFinished: null));
            Assert.False(GitOpsTracking.KeepsFinished(metadata, ran, specTtlSecondsAfterFinished: 60));
        }

        // Nothing ran: a re-create runs no code, and the labels must not let tenants keep rejected executions.
        Assert.False(GitOpsTracking.KeepsFinished(metadata, ExecutionPhase.Rejected, specTtlSecondsAfterFinished: null));
    }

    [Fact]
    public void Other_labels_and_annotations_are_not_tracking()
    {
        var metadata = new V1ObjectMeta
        {
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "x", ["team"] = "a" },
            Annotations = new Dictionary<string, string> { ["argocd.argoproj.io/sync-wave"] = "1" },
        };

        Assert.Null(GitOpsTracking.TrackedBy(metadata));
        Assert.False(GitOpsTracking.KeepsFinished(metadata, ExecutionPhase.Succeeded, null));
        Assert.False(GitOpsTracking.KeepsFinished(null, ExecutionPhase.Succeeded, null));
    }

    [Fact]
    public async Task A_tracked_execution_outlives_the_default_TTL_and_an_explicit_TTL_still_applies()
    {
        static void Argo(V1ObjectMeta m) => m.Annotations = new Dictionary<string, string> { [GitOpsTracking.ArgoCdTrackingIdAnnotation] = "app:codeexec.dev/CodeExecution:default/" + m.Name };
        foreach (var name in new[] { "plain", "tracked", "tracked-ttl" })
        {
            _cluster.ScriptSandbox(name, new ScriptedContainer(), "done\n");
        }

        await _cluster.CreateExecutionAsync("plain");
        await _cluster.CreateExecutionAsync("tracked", metadata: Argo);
        await _cluster.CreateExecutionAsync("tracked-ttl", spec => spec.TtlSecondsAfterFinished = 1, metadata: Argo);
        await _cluster.WaitForFinalAsync("tracked");
        var podName = await _cluster.PodNameAsync("tracked");

        await _cluster.WaitForAsync("plain", e => e is null, what: "deletion after the default TTL");
        await _cluster.WaitForAsync("tracked-ttl", e => e is null, what: "deletion after the spec's own TTL");
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var tracked = await _cluster.GetExecutionAsync("tracked");
        Assert.NotNull(tracked);
        Assert.Equal("Succeeded", tracked.Status?.Phase);
        Assert.Null(await _cluster.GetPodAsync(podName)); // its children are cleaned up all the same
    }

    /// <summary>
    /// Security review: anyone who may edit CodeExecutions can set the instance label; rejected executions carrying it
    /// (for the namespace cap, say) must not pile up past the TTL.
    /// </summary>
    [Fact]
    public async Task A_tracked_execution_that_was_rejected_is_deleted_after_the_default_TTL()
    {
        static void Instance(V1ObjectMeta m) => m.Labels = new Dictionary<string, string> { [GitOpsTracking.InstanceLabel] = "apps" };
        static void Argo(V1ObjectMeta m) => m.Annotations = new Dictionary<string, string> { [GitOpsTracking.ArgoCdTrackingIdAnnotation] = "app:codeexec.dev/CodeExecution:default/" + m.Name };
        _cluster.ScriptSandbox("tracked-ran", new ScriptedContainer(), "done\n");

        await _cluster.CreateExecutionAsync("tracked-ran", metadata: Instance);
        await _cluster.CreateExecutionAsync("label-rejected", spec => spec.Runtime = "cobol", metadata: Instance);
        await _cluster.CreateExecutionAsync("argo-rejected", spec => spec.Runtime = "cobol", metadata: Argo);
        Assert.Equal(ExecutionPhase.Rejected, (await _cluster.WaitForFinalAsync("label-rejected")).Status!.Phase);
        Assert.Equal(ExecutionPhase.Succeeded, (await _cluster.WaitForFinalAsync("tracked-ran")).Status!.Phase);

        await _cluster.WaitForAsync("label-rejected", e => e is null, what: "deletion of a rejected execution after the default TTL");
        await _cluster.WaitForAsync("argo-rejected", e => e is null, what: "deletion of a rejected execution after the default TTL");
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.NotNull(await _cluster.GetExecutionAsync("tracked-ran"));
    }
}
