using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>
/// kube-apiserver's 3 MiB request body limit and etcd's 1.5 MiB request limit (<see cref="RequestLimits"/>), answered
/// as the real API server with etcd answers them (the same writes are checked there by the operator's
/// StatusSizeOnRealServerTests).
/// </summary>
public sealed class RequestLimitsTests : EmulatorTest
{
    private const string Ns = "default";

    private async Task<JsonObject> CreateExecutionAsync(string name)
    {
        var created = await Client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "codeexec.dev/v1alpha1",
            ["kind"] = "CodeExecution",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name },
            ["spec"] = new Dictionary<string, object> { ["runtime"] = "python", ["code"] = "print(1)" },
        }, "codeexec.dev", "v1alpha1", Ns, "codeexecutions", cancellationToken: Ct);
        return JsonNode.Parse(((JsonElement)created).GetRawText())!.AsObject();
    }

    private Task WriteStatusAsync(JsonObject current, string stdout)
    {
        current["status"] = new JsonObject { ["phase"] = "Running", ["stdout"] = stdout };
        return Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(current, "codeexec.dev", "v1alpha1", Ns, "codeexecutions",
            (string)current["metadata"]!["name"]!, cancellationToken: Ct);
    }

    private static async Task<V1Status> RefusedAsync(Func<Task> write)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(write);
        return KubernetesJson.Deserialize<V1Status>(e.Response.Content);
    }

    [Fact]
    public async Task A_body_over_3_MiB_is_refused_with_413_RequestEntityTooLarge()
    {
        var current = await CreateExecutionAsync("big-body");

        // 600000 '<' are 3.6 MB as the .NET client sends them (\u003C).
        var status = await RefusedAsync(() => WriteStatusAsync(current, new string('<', 600_000)));

        Assert.Equal((413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"), (status.Code, status.Reason, status.Message));
    }

    [Fact]
    public async Task An_object_over_etcds_1_5_MiB_is_refused_with_500_request_is_too_large()
    {
        var current = await CreateExecutionAsync("big-object");

        var status = await RefusedAsync(() => WriteStatusAsync(current, new string('a', 1_600_000)));

        Assert.Equal((500, null, "etcdserver: request is too large"), (status.Code, status.Reason, status.Message));
        Assert.Null(JsonNode.Parse(((JsonElement)await Client.CustomObjects.GetNamespacedCustomObjectAsync("codeexec.dev", "v1alpha1", Ns, "codeexecutions", "big-object", Ct)).GetRawText())!["status"]);
    }

    [Fact]
    public async Task The_stored_size_is_counted_as_Go_escapes_it()
    {
        var current = await CreateExecutionAsync("escaped");

        // 300000 '<' are 300 KB sent (escaped by the client: 1.8 MB, under 3 MiB) but 1.8 MB once Go stores them.
        var status = await RefusedAsync(() => WriteStatusAsync(current, new string('<', 300_000)));
        Assert.Equal((500, "etcdserver: request is too large"), (status.Code, status.Message));

        await WriteStatusAsync(current, new string('<', 200_000));
        Assert.Equal(1_200_000 + 2, RequestLimits.GoEncodedLength(JsonValue.Create(new string('<', 200_000))));
    }
}
