using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// A CodeExecution a GitOps tool keeps in sync is not deleted by the default TTL: the tool would re-create it and the
/// code would run again at every TTL. The operator runs here with a default TTL of one second.
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
        Assert.True(GitOpsTracking.KeepsFinished(metadata, specTtlSecondsAfterFinished: null));
        Assert.False(GitOpsTracking.KeepsFinished(metadata, specTtlSecondsAfterFinished: 60));
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
        Assert.False(GitOpsTracking.KeepsFinished(metadata, null));
        Assert.False(GitOpsTracking.KeepsFinished(null, null));
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
}
