using System.Net;
using System.Text.Json.Nodes;
using CodeExec.CrdGen;
using CodeExec.Testing.RealApiServer;
using CodeExec.Testing.Tools;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Api.Tests;

/// <summary>
/// The generated CRDs on the real Kubernetes API server (apiextensions-apiserver + etcd): the samples are accepted,
/// every input of the shared bad-input table is refused with a message a user understands, the status subresource
/// works, and the field docs reach kubectl explain and the published OpenAPI.
/// </summary>
public sealed class CrdServerValidationTests(RealApiServerWithCrds fixture) : IClassFixture<RealApiServerWithCrds>
{
    private const string Group = ApiConstants.Group;
    private const string Version = ApiConstants.Version;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Kubernetes Client => fixture.Server.Client;

    [Theory]
    [MemberData(nameof(SampleManifests.Files), MemberType = typeof(SampleManifests))]
    public async Task Every_sample_is_accepted(string sample)
    {
        var manifest = YamlJson.Parse(SampleManifests.Read(sample)).AsObject();
        var created = await CreateAsync(manifest, strict: true);
        Assert.Equal(manifest["metadata"]!["name"]!.GetValue<string>(), created["metadata"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(GoodInputs.Names), MemberType = typeof(GoodInputs))]
    public async Task Every_good_edge_input_is_accepted(string name)
    {
        var (_, _, manifest) = GoodInputs.Get(name);
        await CreateAsync(YamlJson.Parse(manifest).AsObject(), strict: true);
    }

    [Fact]
    public async Task Metadata_of_an_execution_can_change_while_its_spec_cannot()
    {
        await CreateAsync(YamlJson.Parse(BadInputs.Execution("relabel", "code: print(1)")).AsObject(), strict: true);
        var patch = new V1Patch("""{"metadata":{"labels":{"team":"data"}}}""", V1Patch.PatchType.MergePatch);

        await Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            patch, Group, Version, BadInputs.Namespace, ApiConstants.CodeExecutionPlural, "relabel", cancellationToken: Cancel);

        var stored = await ReadExecutionAsync("relabel");
        Assert.Equal("data", stored["metadata"]!["labels"]!["team"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BadInputs.Data), MemberType = typeof(BadInputs))]
    public async Task Every_bad_input_is_rejected_with_a_readable_message(BadInput input)
    {
        var manifest = YamlJson.Parse(input.Manifest).AsObject();
        HttpOperationException error;
        if (input.UpdatedManifest is { } updatedManifest)
        {
            var created = await CreateAsync(manifest, strict: true);
            var updated = YamlJson.Parse(updatedManifest).AsObject();
            updated["metadata"]!["resourceVersion"] = created["metadata"]!["resourceVersion"]!.GetValue<string>();
            error = await Assert.ThrowsAsync<HttpOperationException>(() => ReplaceAsync(updated));
        }
        else
        {
            error = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync(manifest, input.Strict));
        }

        var message = StatusMessage(error);
        Assert.True(error.Response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest,
            $"{input.Name}: HTTP {(int)error.Response.StatusCode}: {message}");
        Assert.Contains(input.Field, message, StringComparison.Ordinal);
        Assert.Contains(input.Expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spec_sent_through_the_status_subresource_is_ignored()
    {
        var manifest = YamlJson.Parse(BadInputs.Execution("status-subresource", "code: print(1)")).AsObject();
        var created = await CreateAsync(manifest, strict: true);
        var patch = new V1Patch("""{"spec":{"code":"print(2)"},"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch);

        await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            patch, Group, Version, BadInputs.Namespace, ApiConstants.CodeExecutionPlural, "status-subresource",
            cancellationToken: Cancel);

        var stored = await ReadExecutionAsync("status-subresource");
        Assert.Equal("print(1)", stored["spec"]!["code"]!.GetValue<string>());
        Assert.Equal("Running", stored["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["generation"]!.GetValue<long>(), stored["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task Status_sent_through_the_main_resource_is_ignored()
    {
        var manifest = YamlJson.Parse(BadInputs.Execution("status-main", "code: print(1)")).AsObject();
        manifest["status"] = new JsonObject { ["phase"] = "Succeeded" };

        await CreateAsync(manifest, strict: true);

        var stored = await ReadExecutionAsync("status-main");
        Assert.Null(stored["status"]?["phase"]);
    }

    [Fact]
    public async Task Network_mode_defaults_to_None()
    {
        var manifest = YamlJson.Parse(BadInputs.Execution("network-default", "code: x\nnetwork: {}")).AsObject();
        var created = await CreateAsync(manifest, strict: true);
        Assert.Equal("None", created["spec"]!["network"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kubectl_explain_shows_the_field_docs()
    {
        var result = await fixture.Server.KubectlAsync(["explain", "codeexecution.spec"], Cancel);
        if (result is not { } explain)
        {
            Assert.Skip(CachedTools.MissingReason("kubectl") + ": cannot run kubectl explain");
            return;
        }

        Assert.True(explain.ExitCode == 0, explain.Output);
        Assert.Contains("What to run and within which limits", explain.Output, StringComparison.Ordinal);
        Assert.Contains("The source code to run, inline", explain.Output, StringComparison.Ordinal);
        Assert.Contains("codeFrom", explain.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_get_shows_the_printer_columns_and_short_name()
    {
        await CreateAsync(YamlJson.Parse(BadInputs.Execution("columns", "runtime: python\ncode: x")).AsObject(), strict: true);
        var result = await fixture.Server.KubectlAsync(["get", "cx", "columns", "-n", BadInputs.Namespace], Cancel);
        if (result is not { } get)
        {
            Assert.Skip(CachedTools.MissingReason("kubectl") + ": cannot run kubectl get");
            return;
        }

        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Matches(@"NAME\s+RUNTIME\s+PHASE\s+EXIT\s+DURATION\s+AGE", get.Output);
        Assert.Matches(@"columns\s+python", get.Output);
    }

    [Fact]
    public async Task Published_openapi_carries_the_descriptions()
    {
        var generated = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(
            CrdGenerator.Generate().Single(c => c.FileName == "codeexec.dev_codeexecutions.yaml").Yaml);
        var spec = generated.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"];
        var expected = new[] { spec.Description, spec.Properties["code"].Description, spec.Properties["limits"].Properties["timeoutSeconds"].Description };

        using var response = await Client.HttpClient.GetAsync(new Uri(Client.BaseUri, $"openapi/v3/apis/{Group}/{Version}"), Cancel);
        var document = await response.Content.ReadAsStringAsync(Cancel);

        Assert.True(response.IsSuccessStatusCode, $"GET /openapi/v3/apis/{Group}/{Version}: {(int)response.StatusCode} {document}");
        var schemas = JsonNode.Parse(document)!["components"]!["schemas"]!.AsObject();
        var published = schemas.Single(s => s.Key.EndsWith(".CodeExecution", StringComparison.Ordinal)).Value!.ToJsonString();
        foreach (var description in expected)
        {
            Assert.Contains(System.Text.Json.JsonSerializer.Serialize(description)[1..^1], published, StringComparison.Ordinal);
        }
    }

    private async Task<JsonObject> CreateAsync(JsonObject manifest, bool strict)
    {
        var fieldValidation = strict ? "Strict" : null;
        var created = manifest["kind"]!.GetValue<string>() == ApiConstants.CodeRuntimeKind
            ? await Client.CustomObjects.CreateClusterCustomObjectAsync(
                manifest, Group, Version, ApiConstants.CodeRuntimePlural, fieldValidation: fieldValidation, cancellationToken: Cancel)
            : await Client.CustomObjects.CreateNamespacedCustomObjectAsync(
                manifest, Group, Version, BadInputs.Namespace, ApiConstants.CodeExecutionPlural, fieldValidation: fieldValidation, cancellationToken: Cancel);
        return JsonNode.Parse(KubernetesJson.Serialize(created))!.AsObject();
    }

    private Task<object> ReplaceAsync(JsonObject manifest) =>
        Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(
            manifest, Group, Version, BadInputs.Namespace, ApiConstants.CodeExecutionPlural,
            manifest["metadata"]!["name"]!.GetValue<string>(), fieldValidation: "Strict", cancellationToken: Cancel);

    private async Task<JsonObject> ReadExecutionAsync(string name)
    {
        var stored = await Client.CustomObjects.GetNamespacedCustomObjectAsync(
            Group, Version, BadInputs.Namespace, ApiConstants.CodeExecutionPlural, name, Cancel);
        return JsonNode.Parse(KubernetesJson.Serialize(stored))!.AsObject();
    }

    private static string StatusMessage(HttpOperationException error)
    {
        var content = error.Response.Content ?? "";
        try
        {
            return KubernetesJson.Deserialize<V1Status>(content).Message ?? content;
        }
        catch (System.Text.Json.JsonException)
        {
            return content;
        }
    }
}
