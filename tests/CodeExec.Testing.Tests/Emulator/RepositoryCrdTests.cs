using System.Text.Json;
using CodeExec.Api;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>The project's own CRDs (crds/*.yaml) served by a default emulator, with the operator's typed objects.</summary>
public sealed class RepositoryCrdTests : EmulatorTest
{
    [Fact]
    public async Task Code_executions_are_served_with_schema_defaults_and_collect_their_pods_when_deleted()
    {
        var execution = new CodeExecution { Metadata = new V1ObjectMeta { Name = "hello" }, Spec = new CodeExecutionSpec { Runtime = "python", Code = "print(1)" } };
        var created = JsonSerializer.Deserialize<CodeExecution>(JsonSerializer.Serialize(
            await Client.CustomObjects.CreateNamespacedCustomObjectAsync(execution, ApiConstants.Group, ApiConstants.Version, "default", ApiConstants.CodeExecutionPlural, cancellationToken: Ct)))!;
        Assert.Equal(1, created.Metadata.Generation);

        var pod = CoreKindTests.Pod("hello-pod");
        pod.Metadata.OwnerReferences = [new V1OwnerReference
        {
            ApiVersion = ApiConstants.ApiVersion, Kind = ApiConstants.CodeExecutionKind, Name = "hello", Uid = created.Metadata.Uid, Controller = true,
        }];
        await Client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, "default", ApiConstants.CodeExecutionPlural, "hello", cancellationToken: Ct);

        for (var attempt = 0; attempt < 200 && (await Client.ListNamespacedPodAsync("default", cancellationToken: Ct)).Items.Count > 0; attempt++)
        {
            await Task.Delay(25, Ct);
        }

        Assert.Empty((await Client.ListNamespacedPodAsync("default", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Code_runtimes_are_cluster_scoped()
    {
        var runtime = new Dictionary<string, object>
        {
            ["apiVersion"] = ApiConstants.ApiVersion,
            ["kind"] = ApiConstants.CodeRuntimeKind,
            ["metadata"] = new Dictionary<string, object> { ["name"] = "python" },
        };
        await Client.CustomObjects.CreateClusterCustomObjectAsync(runtime, ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural, cancellationToken: Ct);

        await Client.CustomObjects.GetClusterCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural, "python", cancellationToken: Ct);
        var namespaced = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CustomObjects.GetNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, "default", ApiConstants.CodeRuntimePlural, "python", cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, namespaced.Response.StatusCode);
    }

    [Fact]
    public async Task An_updated_crd_takes_effect_at_once()
    {
        Emulator.LoadCrdYaml(Semantics.ApiTarget.WidgetCrdYaml);
        var crd = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.semantics.codeexec.dev", cancellationToken: Ct);
        crd.Spec.Versions[0].Subresources = null;
        await Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name, cancellationToken: Ct);

        var widget = new Dictionary<string, object>
        {
            ["apiVersion"] = "semantics.codeexec.dev/v1",
            ["kind"] = "Widget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "w" },
            ["status"] = new Dictionary<string, object> { ["phase"] = "kept" },
        };
        var created = JsonSerializer.Serialize(await Client.CustomObjects.CreateNamespacedCustomObjectAsync(widget, "semantics.codeexec.dev", "v1", "default", "widgets", cancellationToken: Ct));

        Assert.Contains("\"phase\":\"kept\"", created, StringComparison.Ordinal);
    }
}
