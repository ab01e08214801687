using System.Net;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>
/// JSON merge patch, the one PATCH format the emulator serves (the simulated kubelet writes pod status with it), and
/// the formats it does not emulate, refused with 415 rather than approximated.
/// </summary>
public sealed class PatchTests : EmulatorTest
{
    protected override EmulatorOptions Options() => new EmulatorOptions { LoadRepositoryCrds = false };

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

    [Theory]
    [InlineData(V1Patch.PatchType.StrategicMergePatch, """{"data":{"k":"v2"}}""")]
    [InlineData(V1Patch.PatchType.JsonPatch, """[{"op":"replace","path":"/data/k","value":"v2"}]""")]
    [InlineData(V1Patch.PatchType.ApplyPatch, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"k":"v2"}}""")]
    public async Task Patch_formats_other_than_merge_patch_are_refused_with_415_and_change_nothing(V1Patch.PatchType format, string body)
    {
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cfg" },
            Data = new Dictionary<string, string> { ["k"] = "v1" },
        }, "default", cancellationToken: Ct);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.PatchNamespacedConfigMapAsync(new V1Patch(body, format), "cfg", "default", fieldManager: "test", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.Response.StatusCode);
        Assert.Contains("UnsupportedMediaType", refused.Response.Content, StringComparison.Ordinal);
        Assert.Equal("v1", (await Client.ReadNamespacedConfigMapAsync("cfg", "default", cancellationToken: Ct)).Data["k"]);
    }
}
