using System.Net;
using CodeExec.Api;
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
/// Every sandbox Pod the operator can render is one kube-apiserver accepts: each sample execution in
/// <c>config/samples</c> with each runtime in <c>config/samples/runtimes</c>, in every option combination (network None
/// and Egress with host aliases, with and without the egress proxy, code from a ConfigMap or a Secret, stdin, files,
/// env and args, the largest limits, a priority class, AppArmor RuntimeDefault, a user namespace and a Localhost seccomp
/// profile), is created through the emulator, whose Pod validation mirrors
/// upstream's <c>ValidatePodCreate</c>.
/// </summary>
public sealed class RenderedPodValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Variant(string Name, Action<CodeExecution, CodeRuntime> Change, SandboxOptions Options, IReadOnlyList<PinnedHost>? Egress = null);

    private static readonly PinnedHost PyPi = new("pypi.org", [IPAddress.Parse("151.101.0.223"), IPAddress.Parse("2a04:4e42::223")]);
    private static readonly PinnedHost Files = new("files.pythonhosted.org", [IPAddress.Parse("151.101.0.223")]);

    private static IEnumerable<Variant> Variants()
    {
        yield return new Variant("as-written", (_, _) => { }, new SandboxOptions());
        yield return new Variant("no-stdin", (cx, _) => cx.Spec.Stdin = null, new SandboxOptions());
        yield return new Variant("stdin-files-env-args", (cx, _) =>
        {
            cx.Spec.Stdin = "line 1\nline 2\n";
            cx.Spec.Files = [new InputFile { Name = "data.csv", Content = "a,b\n1,2\n" }, new InputFile { Name = "config.json", Content = "{}" }];
            cx.Spec.Env = [new CodeExec.Api.EnvVar { Name = "GREETING", Value = "hi" }, new CodeExec.Api.EnvVar { Name = "_my_setting1", Value = "" }];
            cx.Spec.Args = ["--verbose", "two words", ""];
        }, new SandboxOptions());
        yield return new Variant("max-limits", (cx, rt) => cx.Spec.Limits = new ExecutionLimits
        {
            TimeoutSeconds = rt.Spec.MaxLimits?.TimeoutSeconds,
            Cpu = rt.Spec.MaxLimits?.Cpu,
            Memory = rt.Spec.MaxLimits?.Memory,
            Processes = rt.Spec.MaxLimits?.Processes,
            TmpSize = rt.Spec.MaxLimits?.TmpSize,
            OutputBytes = rt.Spec.MaxLimits?.OutputBytes,
        }, new SandboxOptions());
        yield return new Variant("code-from-configmap", (cx, _) =>
        {
            cx.Spec.Code = null;
            cx.Spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "user-code", Key = "main" } };
        }, new SandboxOptions());
        yield return new Variant("code-from-secret", (cx, _) =>
        {
            cx.Spec.Code = null;
            cx.Spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "user-code", Key = "main" } };
        }, new SandboxOptions());
        yield return new Variant("egress", AllowEgress, new SandboxOptions(), [PyPi, Files]);
        yield return new Variant("egress-proxy", AllowEgress,
            new SandboxOptions { EgressProxy = new EgressProxyOptions { Image = "registry.example.com/egress-proxy:1", Command = ["/proxy"], Port = 8888 } }, [PyPi, Files]);
        yield return new Variant("priority-class-default-runtime-class", (_, rt) => rt.Spec.RuntimeClassName = "",
            new SandboxOptions { PriorityClassName = "codeexec-sandbox", CollectorCommand = ["dotnet", "/app/codeexec-operator.dll", "collect"] });
        yield return new Variant("apparmor-user-namespace-localhost-seccomp-egress-proxy", AllowEgress, Hardened, [PyPi, Files]);
    }

    /// <summary>Every hardening setting on (issue 9 point 5), with the egress proxy so every container is covered.</summary>
    internal static SandboxOptions Hardened => new()
    {
        AppArmorRuntimeDefault = true,
        UserNamespaces = true,
        SeccompLocalhostProfile = "profiles/codeexec-sandbox.json",
        EgressProxy = new EgressProxyOptions { Image = "registry.example.com/egress-proxy:1", Command = ["/proxy"], Port = 8888 },
    };

    private static void AllowEgress(CodeExecution execution, CodeRuntime runtime)
    {
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org", "files.pythonhosted.org"] };
        runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["pypi.org", "files.pythonhosted.org"] };
    }

    [Fact]
    public async Task Every_rendered_sandbox_pod_passes_the_emulator_pod_validation()
    {
        var samples = Directory.GetFiles(RepositoryFiles.PathOf("config", "samples"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        var runtimes = Directory.GetFiles(RepositoryFiles.PathOf("config", "samples", "runtimes"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(samples);
        Assert.NotEmpty(runtimes);

        await using var emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions { ManifestPaths = { KubernetesEmulator.SandboxRuntimeManifests } }, Ct);
        using var client = emulator.CreateClient();
        var failures = new List<string>();
        var created = 0;
        foreach (var sampleFile in samples)
        {
            foreach (var runtimeFile in runtimes)
            {
                foreach (var variant in Variants())
                {
                    var execution = KubernetesYaml.Deserialize<CodeExecution>(await File.ReadAllTextAsync(sampleFile, Ct));
                    var runtime = KubernetesYaml.Deserialize<CodeRuntime>(await File.ReadAllTextAsync(runtimeFile, Ct));
                    var label = $"{Path.GetFileName(sampleFile)} + {Path.GetFileName(runtimeFile)} ({variant.Name})";
                    execution.Metadata.Name = $"cx-{created}";
                    execution.Metadata.NamespaceProperty = "default";
                    execution.Metadata.Uid = Guid.NewGuid().ToString();
                    execution.Spec.Runtime = runtime.Metadata.Name;
                    variant.Change(execution, runtime);

                    var admission = Admission.Admit(execution, runtime, variant.Options, variant.Egress?.ToDictionary(h => h.Host, h => h.Addresses));
                    Assert.True(admission.IsAdmitted, label + ": " + admission.Message);
                    var code = ResolvedCode.FromInline(execution) ?? new ResolvedCode("print('from a reference')", ResolvedCode.KindOf(execution));
                    var pod = SandboxRenderer.Pod(new SandboxRequest(execution, runtime, admission.Limits!, code, admission.Egress), variant.Options);
                    try
                    {
                        await client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
                        created++;
                    }
                    catch (HttpOperationException e)
                    {
                        failures.Add($"{label}: {(int)e.Response.StatusCode} {e.Response.Content}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(samples.Count * runtimes.Count * Variants().Count(), created);
    }

    [Fact]
    public async Task The_pod_the_operator_rendered_before_the_dns_fix_is_refused_as_kube_apiserver_refuses_it()
    {
        await using var emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions { ManifestPaths = { KubernetesEmulator.SandboxRuntimeManifests } }, Ct);
        using var client = emulator.CreateClient();
        var pod = SandboxRenderer.Pod(TestObjects.Request(TestObjects.Execution()), new SandboxOptions());
        pod.Metadata.NamespaceProperty = "default";
        pod.Spec.DnsConfig = new V1PodDNSConfig { Nameservers = [] };

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains($"Pod \\\"{pod.Metadata.Name}\\\" is invalid: spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None",
            error.Response.Content, StringComparison.Ordinal);
    }
}
