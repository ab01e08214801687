using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Autorest;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Security review finding 6 on the real API server (with etcd): the final status of the PoC, sized by
/// <see cref="FinalStatusBuilder.FinalWithinSize"/>, is accepted through the status subresource with the body the
/// reconciler sends; the same output unsized is refused; and Go's escaping is what <see cref="JsonSize"/> counts.
/// </summary>
public sealed class StatusSizeOnRealServerTests(RealApiServerWithCrds fixture) : IClassFixture<RealApiServerWithCrds>
{
    private const string Namespace = "sizes";
    private static readonly SandboxRun Run = new("python", "python@sha256:abc", "bloat-sandbox", "abc123", 262144);
    private static readonly PodObservation Exited = new(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed,
        "the code exited with code 0", 0, DateTime.UtcNow.AddSeconds(-2), DateTime.UtcNow);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<CodeExecution> CreateAsync(CodeExecution execution)
    {
        execution.Metadata.NamespaceProperty = Namespace;
        execution.Metadata.Uid = null;
        var created = await fixture.Server.Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            execution, ApiConstants.Group, ApiConstants.Version, Namespace, ApiConstants.CodeExecutionPlural, cancellationToken: Cancel);
        return KubernetesJson.Deserialize<CodeExecution>(((JsonElement)created).GetRawText());
    }

    private async Task<CodeExecution> WriteAsync(CodeExecution current, CodeExecutionStatus status)
    {
        var written = await fixture.Server.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
            StatusSize.WriteBody(current, status), ApiConstants.Group, ApiConstants.Version, Namespace, ApiConstants.CodeExecutionPlural,
            current.Metadata.Name, cancellationToken: Cancel);
        return KubernetesJson.Deserialize<CodeExecution>(((JsonElement)written).GetRawText());
    }

    [Theory]
    [InlineData("bloat", null)]
    [InlineData("bloat-padded", 120_000)]
    public async Task The_finding_6_result_is_accepted_and_stored_as_sent(string name, int? specPadding)
    {
        var current = await CreateAsync(StatusSizeTests.PocExecution(name, specPadding is { } n ? "# " + new string('<', n) : null));
        var status = FinalStatusBuilder.FinalWithinSize(current, Exited, StatusSizeTests.PocRecord(), null, Run, TimeProvider.System);

        var stored = await WriteAsync(current, status);

        Assert.Equal(KubernetesJson.Serialize(status), KubernetesJson.Serialize(stored.Status));
        Assert.Equal(KubernetesJson.Serialize(current.Spec), KubernetesJson.Serialize(stored.Spec));
        Assert.Equal((262144L, 262144L), (stored.Status!.StdoutBytes, stored.Status.StderrBytes));
        Assert.Equal(specPadding is not null, stored.Status.StdoutTruncated == true && stored.Status.StderrTruncated == true);
        Assert.True(StatusSize.StoredBytes(stored, stored.Status) <= StatusSize.MaxStoredObjectBytes);
    }

    [Fact]
    public async Task The_finding_6_output_unsized_is_refused_for_its_size()
    {
        var current = await CreateAsync(StatusSizeTests.PocExecution("bloat-unsized"));
        var status = FinalStatusBuilder.FinalWithinSize(current, Exited, null, "not collected", Run, TimeProvider.System);
        status.Stdout = new string('<', 262144);
        status.Stderr = new string('\u0001', 262144);
        (status.StdoutEncoding, status.StderrEncoding) = (OutputEncodings.Utf8, OutputEncodings.Utf8);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => WriteAsync(current, status));

        Assert.True(StatusSize.IsRefusedForSize(refused), $"{(int)refused.Response.StatusCode}: {refused.Response.Content}");
        // The fallback the reconciler then writes is accepted.
        var fallback = FinalStatusBuilder.WithoutOutput(status, "413", current.Metadata.Generation, TimeProvider.System);
        Assert.Null((await WriteAsync(current, fallback)).Status!.Stdout);
    }

    [Fact]
    public async Task Go_escaping_as_counted_is_what_the_server_writes()
    {
        var current = await CreateAsync(StatusSizeTests.PocExecution("escapes"));
        var text = "plain <tag> & \"quoted\" \\ \n\r\t \u0001\u001f \u2028\u2029 é€😀 +/=";
        await WriteAsync(current, new CodeExecutionStatus { Phase = ExecutionPhase.Running, Message = text });

        var raw = await fixture.Server.KubectlAsync(["get", "--raw", $"/apis/{ApiConstants.Group}/{ApiConstants.Version}/namespaces/{Namespace}/{ApiConstants.CodeExecutionPlural}/escapes"], Cancel);
        if (raw is null)
        {
            Assert.Skip("kubectl is not installed: " + CodeExec.Testing.Tools.CachedTools.MissingReason("kubectl"));
        }

        Assert.Equal(0, raw.Value.ExitCode);
        var body = Encoding.UTF8.GetBytes(raw.Value.Output);
        var start = raw.Value.Output.IndexOf("\"message\":\"", StringComparison.Ordinal);
        Assert.True(start >= 0, raw.Value.Output);
        var from = Encoding.UTF8.GetByteCount(raw.Value.Output[..start]) + "\"message\":\"".Length;
        var end = from;
        while (body[end] != (byte)'"')
        {
            end += body[end] == (byte)'\\' ? 2 : 1;
        }

        Assert.Equal(JsonSize.GoEscapedLength(text), end - from);
        Assert.Equal(text, JsonNode.Parse(raw.Value.Output)!["status"]!["message"]!.GetValue<string>());
    }
}
