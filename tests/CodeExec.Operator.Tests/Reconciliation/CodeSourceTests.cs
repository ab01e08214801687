using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Issue 9 point 2, security review finding 3: <c>spec.codeFrom.secretKeyRef</c> must not make the operator read, for
/// a tenant who may only create CodeExecutions, a Secret nobody meant as code. Each test plays a PoC of the review
/// against the emulator with the real operator: the Secret must be Opaque and labelled codeexec.dev/code-source=true,
/// every other case gets one message, and no hash of Secret-sourced code is published.
/// </summary>
public sealed class CodeSourceTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task PoC_an_unlabelled_secret_is_not_read_and_nothing_is_created()
    {
        await CreateSecretAsync("ci-deployer-token", "Opaque", labelled: false, new() { ["token"] = "eyJhbGciOiJSUzI1NiJ9.secret" });
        _cluster.ScriptSandbox("leak", new ScriptedContainer(), "eyJhbGciOiJSUzI1NiJ9.secret");

        var status = await RunFromSecretAsync("leak", "ci-deployer-token", "token");

        Assert.Equal((ExecutionPhase.Rejected, ExecutionReason.Rejected), (status.Phase, status.Reason));
        Assert.Equal(Uniform("ci-deployer-token", "token"), status.Message);
        Assert.Null(status.Stdout);
        Assert.Null(status.CodeSha256);
        Assert.Null(await _cluster.GetPodAsync(await _cluster.PodNameAsync("leak")));
        Assert.DoesNotContain((await _cluster.Client.CoreV1.ListNamespacedSecretAsync(SandboxCluster.Namespace, cancellationToken: Ct)).Items,
            s => s.Metadata.Name.StartsWith("leak-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PoC_a_service_account_token_secret_is_refused_even_when_labelled()
    {
        await CreateSecretAsync("ci-deployer-token", "kubernetes.io/service-account-token", labelled: true, new() { ["token"] = "eyJhbGciOiJSUzI1NiJ9.secret" },
            new() { ["kubernetes.io/service-account.name"] = "ci-deployer" });

        var status = await RunFromSecretAsync("leak-token", "ci-deployer-token", "token");

        Assert.Equal(ExecutionPhase.Rejected, status.Phase);
        Assert.Equal(Uniform("ci-deployer-token", "token"), status.Message);
        Assert.Null(status.CodeSha256);
    }

    [Fact]
    public async Task PoC_a_missing_secret_a_missing_key_and_an_unlabelled_secret_give_the_same_message()
    {
        // 1. No Secret of the name.
        var missing = await RunFromSecretAsync("probe-missing", "prod-db", "password");

        // 2. The Secret exists, with the key, but is not labelled.
        await CreateSecretAsync("prod-db", "Opaque", labelled: false, new() { ["password"] = "hunter2" });
        var unlabelled = await RunFromSecretAsync("probe-unlabelled", "prod-db", "password");

        // 3. Labelled now, but the key is not there.
        var labelled = await _cluster.Client.CoreV1.ReadNamespacedSecretAsync("prod-db", SandboxCluster.Namespace, cancellationToken: Ct);
        labelled.Metadata.Labels = new Dictionary<string, string> { [ApiConstants.CodeSourceLabel] = "true" };
        labelled.Data = new Dictionary<string, byte[]> { ["user"] = "admin"u8.ToArray() };
        await _cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(labelled, "prod-db", SandboxCluster.Namespace, cancellationToken: Ct);
        var noKey = await RunFromSecretAsync("probe-no-key", "prod-db", "password");

        Assert.All(new[] { missing, unlabelled, noKey }, s => Assert.Equal(ExecutionPhase.Rejected, s.Phase));
        Assert.Equal(Uniform("prod-db", "password"), missing.Message);
        Assert.Equal(missing.Message, unlabelled.Message);
        Assert.Equal(missing.Message, noKey.Message);
        Assert.Contains("labelled codeexec.dev/code-source=true", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_labelled_opaque_secret_runs_and_its_code_has_no_hash_in_status_pod_or_copy()
    {
        await CreateSecretAsync("scripts", "Opaque", labelled: true, new() { ["main.py"] = "print('from a secret')" });
        _cluster.ScriptSandbox("from-secret", new ScriptedContainer { Duration = TimeSpan.FromSeconds(2) }, "from a secret\n");

        await _cluster.CreateExecutionAsync("from-secret", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "scripts", Key = "main.py" } };
        });
        var running = await _cluster.WaitForPhaseAsync("from-secret", ExecutionPhase.Running);
        var names = await _cluster.ChildNamesAsync("from-secret");
        var pod = (await _cluster.GetPodAsync(names.Pod))!;
        var copy = await _cluster.Client.CoreV1.ReadNamespacedSecretAsync(names.Code, SandboxCluster.Namespace, cancellationToken: Ct);
        var status = (await _cluster.WaitForFinalAsync("from-secret")).Status!;

        Assert.Equal((ExecutionPhase.Succeeded, "from a secret\n"), (status.Phase, status.Stdout));
        Assert.Null(running.Status!.CodeSha256);
        Assert.Null(status.CodeSha256);
        Assert.False(pod.Metadata.Annotations.ContainsKey(SandboxNames.CodeSha256Annotation));
        Assert.Equal(SandboxCluster.Runtime, pod.Metadata.Annotations[SandboxNames.RuntimeAnnotation]);
        Assert.False(copy.Metadata.Annotations?.ContainsKey(SandboxNames.CodeSha256Annotation) ?? false);
        Assert.Equal("print('from a secret')", System.Text.Encoding.UTF8.GetString(copy.Data["code"]));
    }

    [Fact]
    public async Task Code_from_a_config_map_over_the_bound_is_rejected_naming_it()
    {
        await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "huge", NamespaceProperty = SandboxCluster.Namespace },
            Data = new Dictionary<string, string> { ["main.py"] = "#" + new string('x', ApiConstants.MaxCodeFromBytes) },
        }, SandboxCluster.Namespace, cancellationToken: Ct);

        await _cluster.CreateExecutionAsync("huge", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "huge", Key = "main.py" } };
        });
        var status = (await _cluster.WaitForFinalAsync("huge")).Status!;

        Assert.Equal(ExecutionPhase.Rejected, status.Phase);
        Assert.Contains("spec.codeFrom may name at most 524288 bytes (512 KiB)", status.Message, StringComparison.Ordinal);
        Assert.Null(await _cluster.GetPodAsync(await _cluster.PodNameAsync("huge")));
    }

    private static string Uniform(string name, string key) =>
        $"the Secret {name} cannot be read as code: spec.codeFrom.secretKeyRef needs a Secret of type Opaque labelled codeexec.dev/code-source=true with a non-empty key {key}";

    private async Task<CodeExecutionStatus> RunFromSecretAsync(string execution, string secret, string key)
    {
        await _cluster.CreateExecutionAsync(execution, spec =>
        {
            spec.Runtime = SandboxCluster.Runtime;
            spec.Code = null;
            spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = secret, Key = key } };
        });
        return (await _cluster.WaitForFinalAsync(execution)).Status!;
    }

    private Task<V1Secret> CreateSecretAsync(string name, string type, bool labelled, Dictionary<string, string> data, Dictionary<string, string>? annotations = null) =>
        _cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = SandboxCluster.Namespace,
                Labels = labelled ? new Dictionary<string, string> { [ApiConstants.CodeSourceLabel] = "true" } : null,
                Annotations = annotations,
            },
            Type = type,
            StringData = data,
        }, SandboxCluster.Namespace, cancellationToken: Ct);
}
