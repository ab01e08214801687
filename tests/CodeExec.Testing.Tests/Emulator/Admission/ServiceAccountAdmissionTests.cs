using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>plugin/pkg/admission/serviceaccount, and the serviceaccounts controller's default account.</summary>
public sealed class ServiceAccountAdmissionTests : AdmissionTest
{
    [Fact]
    public async Task Every_initial_and_new_namespace_has_its_default_service_account()
    {
        await Client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenant" } }, cancellationToken: Ct);

        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", "tenant" })
        {
            var account = await Client.ReadNamespacedServiceAccountAsync("default", ns, cancellationToken: Ct);
            Assert.Equal(ns, account.Metadata.NamespaceProperty);
        }
    }

    [Fact]
    public async Task Admit_sets_the_default_service_account()
    {
        var pod = await CreateAsync(Pod("p"));

        Assert.Equal("default", pod.Spec.ServiceAccountName);
    }

    [Fact]
    public async Task Admit_refuses_a_missing_service_account()
    {
        var pod = Pod("p");
        pod.Spec.ServiceAccountName = "robot";

        var message = await PodForbiddenAsync(pod);

        Assert.Equal("pods \"p\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found", message);
    }

    [Fact]
    public async Task Admit_copies_the_accounts_image_pull_secrets()
    {
        await Client.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = "robot" },
            ImagePullSecrets = [new V1LocalObjectReference { Name = "registry" }],
        }, Ns, cancellationToken: Ct);
        var pod = Pod("p");
        pod.Spec.ServiceAccountName = "robot";

        var created = await CreateAsync(pod);

        Assert.Equal("registry", Assert.Single(created.Spec.ImagePullSecrets).Name);
    }
}
