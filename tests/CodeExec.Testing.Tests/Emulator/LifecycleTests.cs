using System.Net;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Garbage collection, namespace termination, graceful pod deletion and dry run: what the CRD-only real server cannot show.</summary>
public sealed class LifecycleTests : EmulatorTest
{
    protected override EmulatorOptions Options() => new EmulatorOptions { GracefulPodDeletion = true, LoadRepositoryCrds = false };

    private async Task<V1ConfigMap> OwnerAsync(string name) =>
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: Ct);

    private async Task<V1Secret> DependentAsync(string name, params V1ConfigMap[] owners) =>
        await Client.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                OwnerReferences = [.. owners.Select(o => new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = o.Metadata.Name, Uid = o.Metadata.Uid, BlockOwnerDeletion = true })],
            },
        }, "default", cancellationToken: Ct);

    private async Task<bool> SecretExistsAsync(string name)
    {
        try
        {
            await Client.ReadNamespacedSecretAsync(name, "default", cancellationToken: Ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25, Ct);
        }

        Assert.Fail("timed out waiting until " + what);
    }

    [Fact]
    public async Task Background_deletion_collects_dependents_after_the_owner_is_gone()
    {
        var owner = await OwnerAsync("bg-owner");
        await DependentAsync("bg-child", owner);

        await Client.DeleteNamespacedConfigMapAsync("bg-owner", "default", propagationPolicy: "Background", cancellationToken: Ct);

        await EventuallyAsync(async () => !await SecretExistsAsync("bg-child"), "the dependent is collected");
    }

    [Fact]
    public async Task A_dependent_with_another_live_owner_only_loses_the_dangling_reference()
    {
        var first = await OwnerAsync("two-a");
        var second = await OwnerAsync("two-b");
        await DependentAsync("two-child", first, second);

        await Client.DeleteNamespacedConfigMapAsync("two-a", "default", cancellationToken: Ct);

        await EventuallyAsync(async () =>
            (await Client.ReadNamespacedSecretAsync("two-child", "default", cancellationToken: Ct)).Metadata.OwnerReferences.Count == 1, "the reference is dropped");
        var child = await Client.ReadNamespacedSecretAsync("two-child", "default", cancellationToken: Ct);
        Assert.Equal(second.Metadata.Uid, Assert.Single(child.Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public async Task Foreground_deletion_is_not_emulated_and_is_refused_with_400()
    {
        var owner = await OwnerAsync("fg-owner");
        await DependentAsync("fg-child", owner);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.DeleteNamespacedConfigMapAsync("fg-owner", "default", propagationPolicy: "Foreground", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, refused.Response.StatusCode);
        Assert.Null((await Client.ReadNamespacedConfigMapAsync("fg-owner", "default", cancellationToken: Ct)).Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task Orphan_deletion_removes_the_owner_and_keeps_the_dependents_without_the_reference()
    {
        var owner = await OwnerAsync("or-owner");
        await DependentAsync("or-child", owner);

        await Client.DeleteNamespacedConfigMapAsync("or-owner", "default", propagationPolicy: "Orphan", cancellationToken: Ct);

        await EventuallyAsync(async () => (await Client.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=or-owner", cancellationToken: Ct)).Items.Count == 0,
            "the owner is removed");
        var child = await Client.ReadNamespacedSecretAsync("or-child", "default", cancellationToken: Ct);
        Assert.Null(child.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task Deleting_a_namespace_terminates_it_removes_its_content_and_then_the_namespace()
    {
        await Client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } }, cancellationToken: Ct);
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "doomed", cancellationToken: Ct);

        await Client.DeleteNamespaceAsync("doomed", cancellationToken: Ct);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "doomed", cancellationToken: Ct));
        Assert.True(refused.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound);
        await EventuallyAsync(async () => (await Client.ListNamespaceAsync(fieldSelector: "metadata.name=doomed", cancellationToken: Ct)).Items.Count == 0,
            "the namespace is removed");
        Assert.Empty((await Client.ListNamespacedConfigMapAsync("doomed", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Graceful_pod_deletion_marks_a_bound_pod_until_its_kubelet_deletes_it_with_grace_zero()
    {
        await Client.CreateNamespacedPodAsync(CoreKindTests.Pod("grace"), "default", cancellationToken: Ct);
        await Client.CreateNamespacedPodAsync(CoreKindTests.Pod("unbound"), "default", cancellationToken: Ct);
        await Client.CreateNamespacedBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "grace" }, Target = new V1ObjectReference { Name = "n" } }, "default", cancellationToken: Ct);

        var marked = await Client.DeleteNamespacedPodAsync("grace", "default", cancellationToken: Ct);
        await Client.DeleteNamespacedPodAsync("unbound", "default", cancellationToken: Ct);

        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        Assert.Equal(30, marked.Metadata.DeletionGracePeriodSeconds);
        Assert.Equal(["grace"], (await Client.ListNamespacedPodAsync("default", cancellationToken: Ct)).Items.Select(p => p.Metadata.Name));
        await Client.DeleteNamespacedPodAsync("grace", "default", gracePeriodSeconds: 0, cancellationToken: Ct);
        Assert.Empty((await Client.ListNamespacedPodAsync("default", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Dry_run_create_answers_the_object_without_storing_it()
    {
        var answered = await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "dry" } }, "default", dryRun: "All", cancellationToken: Ct);

        Assert.Equal("dry", answered.Metadata.Name);
        Assert.Empty((await Client.ListNamespacedConfigMapAsync("default", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Exact_lists_and_send_initial_events_are_not_emulated_and_are_refused_with_400()
    {
        var snapshot = await Client.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);

        var exact = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.ListNamespacedConfigMapAsync("default", resourceVersion: snapshot.Metadata.ResourceVersion, resourceVersionMatch: "Exact", cancellationToken: Ct));
        var initial = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync("default", watch: true, sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", allowWatchBookmarks: true, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, exact.Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, initial.Response.StatusCode);
    }
}
