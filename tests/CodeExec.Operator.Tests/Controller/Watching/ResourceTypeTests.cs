using CodeExec.Operator.Controller.Watching;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Watching;

public sealed class ResourceTypeTests
{
    [Fact]
    public void Core_kinds_come_from_the_model_attribute_and_live_under_api()
    {
        var pods = ResourceType.FromEntityAttribute(typeof(V1Pod))!;

        Assert.Equal(("", "v1", "pods", "Pod", "v1"), (pods.Group, pods.Version, pods.Plural, pods.Kind, pods.ApiVersion));
        Assert.Equal("/api/v1/pods", pods.CollectionPath());
        Assert.Equal("/api/v1/namespaces/team-a/pods", pods.CollectionPath("team-a"));
    }

    [Fact]
    public void Grouped_kinds_live_under_apis()
    {
        var policies = ResourceType.FromEntityAttribute(typeof(V1NetworkPolicy))!;

        Assert.Equal("networking.k8s.io/v1", policies.ApiVersion);
        Assert.Equal("/apis/networking.k8s.io/v1/networkpolicies", policies.CollectionPath());
    }

    [Fact]
    public void Cluster_scoped_kinds_ignore_a_namespace()
    {
        var runtimes = new ResourceType("codeexec.dev", "v1alpha1", "coderuntimes", "CodeRuntime", Namespaced: false);

        Assert.Equal("/apis/codeexec.dev/v1alpha1/coderuntimes", runtimes.CollectionPath("team-a"));
        Assert.Equal("coderuntimes.codeexec.dev", runtimes.ToString());
    }

    [Fact]
    public void A_type_without_the_attribute_has_no_resource_type()
    {
        Assert.Null(ResourceType.FromEntityAttribute(typeof(CodeExec.Api.CodeExecution)));
    }
}
