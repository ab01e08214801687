using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Deploy;
using CodeExec.Testing.PodSecurity;
using k8s;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

/// <summary>
/// Issue 9.5: every Pod the operator can render passes the Pod Security Standards at level restricted (latest), as
/// checked by <see cref="PodSecurityStandards"/>, so sandbox namespaces can carry
/// <c>pod-security.kubernetes.io/enforce=restricted</c>. Rendered: every sample of config/samples with every runtime of
/// config/samples/runtimes, network None and Egress (with and without the egress proxy sidecar), code inline, from a
/// ConfigMap and from a Secret, with and without stdin and input files, with and without a PriorityClass, and with the
/// hardening settings off (the default) and on (AppArmor RuntimeDefault, hostUsers false, a Localhost seccomp profile).
/// </summary>
public sealed class PodSecurityRestrictedTests
{
    private static readonly PinnedHost Pypi = new("pypi.org", [IPAddress.Parse("151.101.0.223")]);

    public static TheoryData<string, string> SamplesAndRuntimes()
    {
        var data = new TheoryData<string, string>();
        foreach (var sample in YamlFiles("config", "samples"))
        {
            foreach (var runtime in YamlFiles("config", "samples", "runtimes"))
            {
                data.Add(Path.GetFileName(sample), Path.GetFileName(runtime));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SamplesAndRuntimes))]
    public void Every_rendered_pod_passes_restricted(string sampleFile, string runtimeFile)
    {
        var sample = KubernetesYaml.Deserialize<CodeExecution>(File.ReadAllText(RepositoryFiles.PathOf("config", "samples", sampleFile)));
        var runtimeSample = KubernetesYaml.Deserialize<CodeRuntime>(File.ReadAllText(RepositoryFiles.PathOf("config", "samples", "runtimes", runtimeFile)));
        var rendered = 0;
        foreach (var (name, execution, runtime, options, egress) in Variants(sample, runtimeSample))
        {
            var admission = Admission.Admit(execution, runtime, options, egress.ToDictionary(h => h.Host, h => h.Addresses));
            Assert.True(admission.IsAdmitted, $"{name}: {admission.Message}");
            var code = ResolvedCode.FromInline(execution) ?? new ResolvedCode("print('from a reference')", ResolvedCode.KindOf(execution));
            var pod = SandboxRenderer.Render(new SandboxRequest(execution, runtime, admission.Limits!, code, admission.Egress), options).Pod;

            var violations = PodSecurityStandards.Check(pod, PodSecurityLevel.Restricted);

            Assert.True(violations.Count == 0, $"{sampleFile} x {runtimeFile}, {name}: {PodSecurityStandards.Describe(violations)}");
            rendered++;
        }

        Assert.True(rendered >= 72, $"only {rendered} variants rendered");
    }

    private static IEnumerable<(string Name, CodeExecution Execution, CodeRuntime Runtime, SandboxOptions Options, IReadOnlyList<PinnedHost> Egress)> Variants(
        CodeExecution sample, CodeRuntime runtimeSample)
    {
        var plain = new SandboxOptions();
        var tuned = new SandboxOptions
        {
            PriorityClassName = "codeexec-sandbox",
            EgressProxy = new EgressProxyOptions { Image = "proxy:1", Command = ["/proxy"], Port = 8888 },
        };
        var hardened = RenderedPodValidationTests.Hardened;
        foreach (var network in new[] { NetworkModes.None, NetworkModes.Egress })
        {
            foreach (var source in new[] { "inline", "configMap", "secret" })
            {
                foreach (var stdin in new[] { false, true })
                {
                    foreach (var files in new[] { false, true })
                    {
                        foreach (var options in new[] { plain, tuned, hardened })
                        {
                            var execution = Copy(sample);
                            execution.Metadata.NamespaceProperty = "team-a";
                            execution.Metadata.Uid = "0b6c3e9e-1111-2222-3333-444455556666";
                            execution.Spec.Runtime = runtimeSample.Metadata.Name;
                            var runtime = Copy(runtimeSample);
                            execution.Spec.Stdin = stdin ? "input\n" : null;
                            execution.Spec.Files = files ? [new InputFile { Name = "data.csv", Content = "a,b" }] : null;
                            if (source != "inline")
                            {
                                var reference = new KeyReference { Name = "src", Key = "main" };
                                execution.Spec.Code = null;
                                execution.Spec.CodeFrom = source == "secret" ? new CodeSource { SecretKeyRef = reference } : new CodeSource { ConfigMapKeyRef = reference };
                            }

                            IReadOnlyList<PinnedHost> egress = [];
                            if (network == NetworkModes.Egress)
                            {
                                execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = [Pypi.Host] };
                                runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = [Pypi.Host] };
                                egress = [Pypi];
                            }

                            var name = $"network {network}, code {source}, stdin {stdin}, files {files}, {(options == plain ? "default options" : options == tuned ? "priority class and egress proxy" : "AppArmor, user namespace, Localhost seccomp and egress proxy")}";
                            yield return (name, execution, runtime, options, egress);
                        }
                    }
                }
            }
        }
    }

    private static T Copy<T>(T value) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value));

    private static IEnumerable<string> YamlFiles(params string[] folder) =>
        Directory.GetFiles(RepositoryFiles.PathOf(folder), "*.yaml").Order(StringComparer.Ordinal);
}
