using CodeExec.Api;
using CodeExec.Operator.Commands;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Deploy;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

/// <summary>
/// Every NetworkPolicy, ConfigMap and Secret that <c>render</c> prints, for every sample with every sample runtime
/// and each combination of network (None, Egress), code source (inline, ConfigMap, Secret), stdin and input files,
/// is created in the emulator, which validates like kube-apiserver: none may be refused.
/// </summary>
public sealed class RenderedChildrenValidationTests : IDisposable
{
    private const string Namespace = "team-a";

    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-rendered-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> SamplesAndRuntimes()
    {
        var data = new TheoryData<string, string>();
        foreach (var sample in Directory.GetFiles(RepositoryFiles.PathOf("config", "samples"), "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var runtime in Directory.GetFiles(RepositoryFiles.PathOf("config", "samples", "runtimes"), "*.yaml").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(sample), Path.GetFileName(runtime));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SamplesAndRuntimes))]
    public async Task Rendered_network_policies_config_maps_and_secrets_pass_kube_apiserver_validation(string sample, string runtime)
    {
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        using var client = emulator.CreateClient();
        await client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: Ct);
        var codeFile = Write("code.src", "print('from a reference')\n");
        var created = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var network in new[] { NetworkModes.None, NetworkModes.Egress })
        {
            foreach (var source in new[] { "inline", "configMap", "secret" })
            {
                foreach (var stdin in new[] { false, true })
                {
                    foreach (var files in new[] { false, true })
                    {
                        var execution = KubernetesYaml.Deserialize<CodeExecution>(await File.ReadAllTextAsync(RepositoryFiles.PathOf("config", "samples", sample), Ct));
                        var codeRuntime = KubernetesYaml.Deserialize<CodeRuntime>(await File.ReadAllTextAsync(RepositoryFiles.PathOf("config", "samples", "runtimes", runtime), Ct));
                        var args = new List<string>();
                        execution.Metadata.Name = $"{execution.Metadata.Name}-{index++}";
                        execution.Metadata.NamespaceProperty = Namespace;

                        // Reconcile works on the stored execution, which has a uid (render prints uid "" without one).
                        execution.Metadata.Uid = Guid.NewGuid().ToString();
                        execution.Spec.Runtime = codeRuntime.Metadata.Name;
                        execution.Spec.Stdin = stdin ? execution.Spec.Stdin ?? "line one\nline two\n" : null;
                        execution.Spec.Files = files
                            ? [new InputFile { Name = "data.csv", Content = "a,b\n1,2\n" }, new InputFile { Name = "notes.txt", Content = "héllo\n" }]
                            : null;
                        if (source != "inline")
                        {
                            var reference = new KeyReference { Name = "sources", Key = "main.src" };
                            execution.Spec.Code = null;
                            execution.Spec.CodeFrom = source == "secret" ? new CodeSource { SecretKeyRef = reference } : new CodeSource { ConfigMapKeyRef = reference };
                            args.AddRange(["--code-file", codeFile]);
                        }

                        if (network == NetworkModes.Egress)
                        {
                            codeRuntime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["pypi.org", "files.pythonhosted.org"] };
                            execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org", "files.pythonhosted.org"] };
                            args.AddRange(["--address", "pypi.org=151.101.0.223", "--address", "pypi.org=2a04:4e42::223", "--address", "files.pythonhosted.org=151.101.1.63"]);
                        }

                        var cx = Write($"cx-{index}.yaml", KubernetesYaml.Serialize(execution));
                        var rt = Write($"rt-{index}.yaml", KubernetesYaml.Serialize(codeRuntime));
                        var yaml = await RenderCommand.RenderAsync(["-f", cx, "--runtime", rt, .. args], Ct);
                        foreach (var document in KubernetesYaml.LoadAllFromString(yaml))
                        {
                            var kind = ((IKubernetesObject)document).Kind;
                            var what = $"{kind} of {sample} with {runtime} (network {network}, code {source}, stdin {stdin}, files {files})";
                            await CreateAsync(what, document switch
                            {
                                V1NetworkPolicy policy => () => client.CreateNamespacedNetworkPolicyAsync(policy, Namespace, cancellationToken: Ct),
                                V1ConfigMap configMap => () => client.CreateNamespacedConfigMapAsync(configMap, Namespace, cancellationToken: Ct),
                                V1Secret secret => () => client.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: Ct),
                                _ => null,
                            });
                            created[kind] = created.GetValueOrDefault(kind) + 1;
                        }
                    }
                }
            }
        }

        // 24 combinations: each has its NetworkPolicy and one code object (a Secret when the code comes from a Secret).
        Assert.Equal(24, created["NetworkPolicy"]);
        Assert.Equal(16, created["ConfigMap"]);
        Assert.Equal(8, created["Secret"]);
    }

    /// <summary>
    /// The codeFrom bound (<see cref="ApiConstants.MaxCodeFromBytes"/>) leaves room for the largest stdin and input files:
    /// the copy of the largest admissible execution fits a ConfigMap and a Secret (1 MiB each).
    /// </summary>
    [Theory]
    [InlineData("configMap")]
    [InlineData("secret")]
    public async Task The_copy_of_the_largest_codeFrom_code_with_the_largest_stdin_and_files_is_accepted(string source)
    {
        var kind = source == "secret" ? CodeSourceKind.Secret : CodeSourceKind.ConfigMap;
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        using var client = emulator.CreateClient();
        await client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: Ct);
        var execution = TestObjects.Execution(code: null);
        execution.Metadata.NamespaceProperty = Namespace;
        var reference = new KeyReference { Name = "sources", Key = "main.py" };
        execution.Spec.CodeFrom = kind == CodeSourceKind.Secret ? new CodeSource { SecretKeyRef = reference } : new CodeSource { ConfigMapKeyRef = reference };
        execution.Spec.Stdin = new string('i', ApiConstants.MaxStdinBytes);
        execution.Spec.Files = [.. Enumerable.Range(0, ApiConstants.MaxFiles).Select(i => new InputFile
        {
            Name = new string((char)('a' + i), Admission.MaxInputFileNameLength),
            Content = new string('f', ApiConstants.MaxFileBytes),
        })];
        var admission = Admission.Admit(execution, TestObjects.Runtime(), new SandboxOptions());
        Assert.True(admission.IsAdmitted, admission.Message);
        var request = new SandboxRequest(execution, TestObjects.Runtime(), admission.Limits!, new ResolvedCode(new string('c', ApiConstants.MaxCodeFromBytes), kind), []);

        var children = SandboxRenderer.Render(request, new SandboxOptions());

        await CreateAsync($"largest {kind} copy", children.CodeSecret is { } secret
            ? () => client.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: Ct)
            : () => client.CreateNamespacedConfigMapAsync(children.CodeConfigMap!, Namespace, cancellationToken: Ct));
    }

    private static async Task CreateAsync(string what, Func<Task>? create)
    {
        if (create is null)
        {
            return;
        }

        try
        {
            await create();
        }
        catch (HttpOperationException e)
        {
            Assert.Fail($"the API server refuses the {what}: {(int)e.Response.StatusCode} {e.Response.Content}");
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
