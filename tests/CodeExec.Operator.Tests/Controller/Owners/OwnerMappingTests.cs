using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Owners;
using CodeExec.Operator.Controller.Watching;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Owners;

public sealed class OwnerMappingTests
{
    private static readonly ResourceType CodeExecutions = new("codeexec.dev", "v1alpha1", "codeexecutions", "CodeExecution");

    private static V1Pod PodOwnedBy(params V1OwnerReference[] owners) => new()
    {
        Metadata = new V1ObjectMeta { Name = "hello-sandbox", NamespaceProperty = "team-a", OwnerReferences = owners },
    };

    private static V1OwnerReference Owner(string apiVersion, string kind, string name, bool? controller) =>
        new() { ApiVersion = apiVersion, Kind = kind, Name = name, Uid = "uid-" + name, Controller = controller };

    [Fact]
    public void A_pod_maps_to_its_controlling_CodeExecution_in_its_namespace()
    {
        var pod = PodOwnedBy(Owner("codeexec.dev/v1alpha1", "CodeExecution", "hello", controller: true));

        Assert.Equal(new ObjectKey("team-a", "hello"), OwnerMapping.ControllerOwnerKey(pod, CodeExecutions));
    }

    [Fact]
    public void Another_version_of_the_same_group_still_maps()
    {
        var pod = PodOwnedBy(Owner("codeexec.dev/v1", "CodeExecution", "hello", controller: true));

        Assert.Equal(new ObjectKey("team-a", "hello"), OwnerMapping.ControllerOwnerKey(pod, CodeExecutions));
    }

    [Theory]
    [InlineData("codeexec.dev/v1alpha1", "CodeExecution", false)]
    [InlineData("codeexec.dev/v1alpha1", "CodeExecution", null)]
    [InlineData("batch/v1", "Job", true)]
    [InlineData("other.dev/v1alpha1", "CodeExecution", true)]
    [InlineData("v1", "CodeExecution", true)]
    public void A_pod_without_a_CodeExecution_controller_maps_to_nothing(string apiVersion, string kind, bool? controller)
    {
        var pod = PodOwnedBy(Owner(apiVersion, kind, "hello", controller));

        Assert.Null(OwnerMapping.ControllerOwnerKey(pod, CodeExecutions));
    }

    [Fact]
    public void Only_the_controller_reference_counts_among_several_owners()
    {
        var pod = PodOwnedBy(
            Owner("codeexec.dev/v1alpha1", "CodeExecution", "not-controller", controller: false),
            Owner("codeexec.dev/v1alpha1", "CodeExecution", "the-controller", controller: true));

        Assert.Equal(new ObjectKey("team-a", "the-controller"), OwnerMapping.ControllerOwnerKey(pod, CodeExecutions));
    }

    [Fact]
    public void A_cluster_scoped_owner_gets_a_key_without_namespace()
    {
        var runtimes = new ResourceType("codeexec.dev", "v1alpha1", "coderuntimes", "CodeRuntime", Namespaced: false);
        var pod = PodOwnedBy(Owner("codeexec.dev/v1alpha1", "CodeRuntime", "python", controller: true));

        Assert.Equal(new ObjectKey(null, "python"), OwnerMapping.ControllerOwnerKey(pod, runtimes));
    }

    [Fact]
    public void A_pod_without_owners_maps_to_nothing()
    {
        Assert.Null(OwnerMapping.ControllerOwnerKey(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" } }, CodeExecutions));
    }

    [Fact]
    public void ControllerReference_points_back_at_the_owner_and_maps_to_it()
    {
        var owner = new CodeExec.Api.CodeExecution
        {
            Metadata = new V1ObjectMeta { Name = "hello", NamespaceProperty = "team-a", Uid = "uid-7" },
        };

        var reference = OwnerMapping.ControllerReference(owner);

        Assert.Equal(("codeexec.dev/v1alpha1", "CodeExecution", "hello", "uid-7", true, true),
            (reference.ApiVersion, reference.Kind, reference.Name, reference.Uid, reference.Controller, reference.BlockOwnerDeletion));
        Assert.Equal(new ObjectKey("team-a", "hello"), OwnerMapping.ControllerOwnerKey(PodOwnedBy(reference), CodeExecutions));
    }
}
