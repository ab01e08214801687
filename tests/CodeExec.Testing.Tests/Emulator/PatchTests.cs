using System.Net;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Patches of built-in kinds the operator uses: strategic merge on pods, merge on leases, apply on configmaps.</summary>
public sealed class PatchTests : EmulatorTest
{
    protected override EmulatorOptions Options() => new EmulatorOptions { LoadRepositoryCrds = false };

    [Fact]
    public async Task Strategic_merge_patch_merges_conditions_by_type_and_finalizers_as_a_set()
    {
        var pod = CoreKindTests.Pod("smp");
        pod.Metadata.Finalizers = ["a/one"];
        await Client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        await Client.PatchNamespacedPodStatusAsync(new V1Patch(
            """{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Initialized","status":"True"}]}}""", V1Patch.PatchType.StrategicMergePatch),
            "smp", "default", cancellationToken: Ct);

        await Client.PatchNamespacedPodStatusAsync(new V1Patch(
            """{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.StrategicMergePatch), "smp", "default", cancellationToken: Ct);
        var patched = await Client.PatchNamespacedPodAsync(new V1Patch(
            """{"metadata":{"finalizers":["b/two"]}}""", V1Patch.PatchType.StrategicMergePatch), "smp", "default", cancellationToken: Ct);

        Assert.Equal(["Initialized:True", "Ready:True"], patched.Status.Conditions.Select(c => $"{c.Type}:{c.Status}").Order());
        Assert.Equal(["a/one", "b/two"], patched.Metadata.Finalizers.Order());

        var removed = await Client.PatchNamespacedPodAsync(new V1Patch(
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a/one"]}}""", V1Patch.PatchType.StrategicMergePatch), "smp", "default", cancellationToken: Ct);
        Assert.Equal(["b/two"], removed.Metadata.Finalizers);
    }

    [Fact]
    public async Task Strategic_merge_patch_deletes_a_keyed_item_with_the_patch_directive()
    {
        var pod = CoreKindTests.Pod("dir", "main", "side");
        await Client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        await Client.PatchNamespacedPodStatusAsync(new V1Patch(
            """{"status":{"conditions":[{"type":"A","status":"True"},{"type":"B","status":"True"}]}}""", V1Patch.PatchType.StrategicMergePatch),
            "dir", "default", cancellationToken: Ct);

        var patched = await Client.PatchNamespacedPodStatusAsync(new V1Patch(
            """{"status":{"conditions":[{"type":"A","$patch":"delete"}]}}""", V1Patch.PatchType.StrategicMergePatch), "dir", "default", cancellationToken: Ct);

        Assert.Equal(["B"], patched.Status.Conditions.Select(c => c.Type));
    }

    [Fact]
    public async Task Lease_renewal_by_merge_patch_keeps_the_other_fields()
    {
        await Client.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "leader" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15 },
        }, "default", cancellationToken: Ct);

        var renewed = await Client.PatchNamespacedLeaseAsync(new V1Patch("""{"spec":{"renewTime":"2026-01-01T00:00:00.000000Z"}}""", V1Patch.PatchType.MergePatch),
            "leader", "default", cancellationToken: Ct);

        Assert.Equal("a", renewed.Spec.HolderIdentity);
        Assert.Equal(15, renewed.Spec.LeaseDurationSeconds);
        Assert.NotNull(renewed.Spec.RenewTime);
    }

    [Fact]
    public async Task Apply_of_a_configmap_conflicts_with_an_update_manager_until_forced()
    {
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cfg" },
            Data = new Dictionary<string, string> { ["k"] = "from-create" },
        }, "default", fieldManager: "creator", cancellationToken: Ct);
        var applied = new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"k":"from-apply"}}""", V1Patch.PatchType.ApplyPatch);

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.PatchNamespacedConfigMapAsync(applied, "cfg", "default", fieldManager: "operator", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("conflict with \\\"creator\\\"", conflict.Response.Content, StringComparison.Ordinal);

        var forced = await Client.PatchNamespacedConfigMapAsync(applied, "cfg", "default", fieldManager: "operator", force: true, cancellationToken: Ct);
        Assert.Equal("from-apply", forced.Data["k"]);
        Assert.Contains(forced.Metadata.ManagedFields, m => m.Manager == "operator" && m.Operation == "Apply");
    }
}
