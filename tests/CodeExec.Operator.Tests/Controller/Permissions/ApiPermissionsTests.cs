using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Permissions;
using CodeExec.Operator.Controller.Watching;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Permissions;

public sealed class ApiPermissionsTests
{
    private interface IFacade
    {
        Task ReadAsync();

        Task CreateAsync();
    }

    private sealed class Declared : IFacade
    {
        [KubernetesPermission("", "pods", "get")]
        public Task ReadAsync() => Task.CompletedTask;

        [KubernetesPermission("", "pods", "create")]
        [KubernetesPermission("example.dev", "widgets/finalizers", "update", NotARequest = "checked by admission")]
        public Task CreateAsync() => Task.CompletedTask;
    }

    private sealed class OneUndeclared : IFacade
    {
        [KubernetesPermission("", "pods", "get")]
        public Task ReadAsync() => Task.CompletedTask;

        public Task CreateAsync() => Task.CompletedTask;
    }

    [KubernetesPermission("coordination.k8s.io", "leases", "get", "update", Scope = PermissionScope.OwnNamespace)]
    private sealed class UsesALibrary;

    [Fact]
    public void A_facade_gives_each_method_s_declared_verbs_and_the_admission_only_ones_apart()
    {
        var permissions = new ApiPermissions();

        permissions.AddFacade(typeof(IFacade), typeof(Declared));

        var cluster = permissions.In(PermissionScope.Cluster);
        Assert.Equal(["create", "get"], cluster[("", "pods")]);
        Assert.Equal(["update"], cluster[("example.dev", "widgets/finalizers")]);
        Assert.Equal("checked by admission", Assert.Single(permissions.WithoutARequest, w => w.Key == ("example.dev", "widgets/finalizers", "update")).Value);
        Assert.Empty(permissions.In(PermissionScope.OwnNamespace));
    }

    [Fact]
    public void A_facade_method_without_a_declaration_fails_the_derivation()
    {
        var permissions = new ApiPermissions();

        var error = Assert.Throws<InvalidOperationException>(() => permissions.AddFacade(typeof(IFacade), typeof(OneUndeclared)));

        Assert.Contains("CreateAsync", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ReadAsync", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "pods", "*")]
    [InlineData("*", "pods", "get")]
    [InlineData("", "*", "get")]
    [InlineData("", "pods")]
    public void Wildcards_and_empty_verb_lists_are_refused(string group, string resource, params string[] verbs)
    {
        Assert.Throws<ArgumentException>(() => new ApiPermissions().Add(PermissionScope.Cluster, group, resource, verbs));
    }

    [Fact]
    public void A_verb_also_sent_as_a_request_is_not_listed_as_admission_only()
    {
        var permissions = new ApiPermissions();

        permissions.Add(PermissionScope.Cluster, "", "pods", ["create"], notARequest: "checked by admission");
        permissions.Add(PermissionScope.Cluster, "", "pods", ["create"]);

        Assert.Empty(permissions.WithoutARequest);
    }

    [Fact]
    public void Class_declarations_keep_their_scope()
    {
        var permissions = new ApiPermissions();

        permissions.AddDeclaredBy(typeof(UsesALibrary));

        Assert.Equal(["get", "update"], permissions.In(PermissionScope.OwnNamespace)[("coordination.k8s.io", "leases")]);
        Assert.Empty(permissions.In(PermissionScope.Cluster));
    }

    [Fact]
    public void Every_registered_watch_needs_list_and_watch_of_its_resource_type()
    {
        var services = new ServiceCollection();
        services.AddControllerRuntime();
        services.AddWatchedResource<V1Pod>();
        services.AddWatchedResource<V1Namespace>(watch => watch.Resource = new ResourceType("", "v1", "namespaces", "Namespace", Namespaced: false));
        var permissions = new ApiPermissions();

        permissions.AddWatches(services);

        var cluster = permissions.In(PermissionScope.Cluster);
        Assert.Equal([("", "namespaces"), ("", "pods")], cluster.Keys.Order());
        Assert.All(cluster.Values, verbs => Assert.Equal(["list", "watch"], verbs));
    }
}
