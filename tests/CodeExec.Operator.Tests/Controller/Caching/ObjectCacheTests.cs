using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Caching;

public sealed class ObjectCacheTests
{
    private static V1Pod Pod(string ns, string name, string resourceVersion = "1", string? ownerUid = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            NamespaceProperty = ns,
            Name = name,
            ResourceVersion = resourceVersion,
            OwnerReferences = ownerUid is null
                ? null
                : [new V1OwnerReference { ApiVersion = "codeexec.dev/v1alpha1", Kind = "CodeExecution", Name = "x", Uid = ownerUid, Controller = true }],
        },
    };

    [Fact]
    public void Upsert_find_and_remove_by_key()
    {
        var cache = new ObjectCache<V1Pod>();

        Assert.Null(cache.Upsert(Pod("a", "p1")));
        var previous = cache.Upsert(Pod("a", "p1", "2"));

        Assert.Equal("1", previous!.Metadata.ResourceVersion);
        Assert.Equal("2", cache.Find(new ObjectKey("a", "p1"))!.Metadata.ResourceVersion);
        Assert.Null(cache.Find(new ObjectKey("b", "p1")));
        Assert.NotNull(cache.Remove(new ObjectKey("a", "p1")));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void List_filters_by_namespace()
    {
        var cache = new ObjectCache<V1Pod>();
        cache.Upsert(Pod("a", "p1"));
        cache.Upsert(Pod("a", "p2"));
        cache.Upsert(Pod("b", "p3"));

        Assert.Equal(3, cache.List().Count);
        Assert.Equal(["p1", "p2"], cache.List("a").Select(pod => pod.Metadata.Name).Order());
    }

    [Fact]
    public void ListControlledBy_follows_the_controller_owner_through_updates_and_deletes()
    {
        var cache = new ObjectCache<V1Pod>();
        cache.Upsert(Pod("a", "p1", ownerUid: "uid-1"));
        cache.Upsert(Pod("a", "p2", ownerUid: "uid-1"));
        cache.Upsert(Pod("a", "p3", ownerUid: "uid-2"));
        cache.Upsert(Pod("a", "p4"));

        Assert.Equal(["p1", "p2"], cache.ListControlledBy("uid-1").Select(pod => pod.Metadata.Name).Order());

        cache.Upsert(Pod("a", "p2", "2", ownerUid: "uid-2"));
        cache.Remove(new ObjectKey("a", "p1"));

        Assert.Empty(cache.ListControlledBy("uid-1"));
        Assert.Equal(["p2", "p3"], cache.ListControlledBy("uid-2").Select(pod => pod.Metadata.Name).Order());
    }

    [Fact]
    public void Replace_reports_what_a_relist_added_changed_and_deleted()
    {
        var cache = new ObjectCache<V1Pod>();
        cache.Upsert(Pod("a", "kept"));
        cache.Upsert(Pod("a", "changed"));
        cache.Upsert(Pod("a", "gone"));

        var diff = cache.Replace([Pod("a", "kept"), Pod("a", "changed", "7"), Pod("a", "new")]);

        Assert.Equal(["new"], diff.Added.Select(pod => pod.Metadata.Name));
        Assert.Equal(["changed"], diff.Updated.Select(update => update.New.Metadata.Name));
        Assert.Equal("1", diff.Updated[0].Old.Metadata.ResourceVersion);
        Assert.Equal(["gone"], diff.Deleted.Select(pod => pod.Metadata.Name));
        Assert.Equal(["changed", "kept", "new"], cache.List().Select(pod => pod.Metadata.Name).Order());
    }

    [Fact]
    public async Task Synced_only_after_MarkSynced()
    {
        var cache = new ObjectCache<V1Pod>();
        var waiting = cache.WaitForSyncAsync(TestContext.Current.CancellationToken);

        Assert.False(cache.IsSynced);
        Assert.False(waiting.IsCompleted);
        cache.MarkSynced();

        await waiting;
        Assert.True(cache.IsSynced);
    }

    [Fact]
    public void The_trim_function_runs_on_every_stored_object()
    {
        var cache = new ObjectCache<V1Pod>(CacheTrimming.TrimMetadata);
        var pod = Pod("a", "p1");
        pod.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }];
        var relisted = Pod("a", "p2");
        relisted.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }];

        cache.Upsert(pod);
        cache.Replace([pod, relisted]);

        Assert.All(cache.List(), cached => Assert.Null(cached.Metadata.ManagedFields));
    }
}
