using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>k8s.io/pod-security-admission in enforce mode, from the namespace's labels.</summary>
public sealed class PodSecurityAdmissionTests : AdmissionTest
{
    private Task CreateNamespaceAsync(string name, params (string Key, string Value)[] labels) =>
        Client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels.ToDictionary(l => l.Key, l => l.Value) } },
            cancellationToken: Ct);

    private static V1Pod Restricted(string name)
    {
        var pod = Pod(name);
        pod.Spec.SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } };
        pod.Spec.Containers[0].SecurityContext = new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            Capabilities = new V1Capabilities { Drop = ["ALL"] },
        };
        return pod;
    }

    [Fact]
    public async Task Enforce_restricted_refuses_a_plain_pod_listing_each_violation()
    {
        await CreateNamespaceAsync("tenant", ("pod-security.kubernetes.io/enforce", "restricted"));

        var message = await PodForbiddenAsync(Pod("p"), "tenant");

        Assert.Equal(
            "pods \"p\" is forbidden: violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"main\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"main\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"main\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"main\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            message);
    }

    [Fact]
    public async Task Enforce_restricted_admits_a_compliant_pod()
    {
        await CreateNamespaceAsync("tenant", ("pod-security.kubernetes.io/enforce", "restricted"));

        await CreateAsync(Restricted("p"), "tenant");
    }

    [Fact]
    public async Task Enforce_baseline_with_a_version_names_the_version()
    {
        await CreateNamespaceAsync("tenant", ("pod-security.kubernetes.io/enforce", "baseline"), ("pod-security.kubernetes.io/enforce-version", "v1.30"));
        var pod = Pod("p");
        pod.Spec.HostNetwork = true;

        var message = await PodForbiddenAsync(pod, "tenant");

        Assert.Equal("pods \"p\" is forbidden: violates PodSecurity \"baseline:v1.30\": host namespaces (hostNetwork)", message);
        await CreateAsync(Pod("plain"), "tenant");
    }

    [Fact]
    public async Task An_invalid_level_enforces_restricted_latest()
    {
        await CreateNamespaceAsync("tenant", ("pod-security.kubernetes.io/enforce", "strict"));

        Assert.StartsWith("pods \"p\" is forbidden: violates PodSecurity \"restricted:latest\": ", await PodForbiddenAsync(Pod("p"), "tenant"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Privileged_or_unlabelled_namespaces_admit_anything()
    {
        await CreateNamespaceAsync("open", ("pod-security.kubernetes.io/enforce", "privileged"));
        var pod = Pod("p");
        pod.Spec.HostPID = true;

        await CreateAsync(pod, "open");
        await CreateAsync(Pod("p"));
    }
}
