using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// The controllers that finish deletions, run in the background as in Kubernetes: the garbage collector (dependents
/// of a deleted owner through ownerReferences: background, and orphan with the orphan finalizer; foreground deletion
/// is not emulated), the namespace controller (empties a terminating namespace, then removes it) and CRD
/// clean-up (a deleted CRD's custom resources go with it).
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private const string Manager = "generic-garbage-collector";
    private readonly ApiOperations _operations;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    private enum WorkKind { OwnerGone, Orphan, Namespace, CrdGone }

    private readonly record struct Work(WorkKind Kind, string Key, string Namespace = "", string Name = "");

    public GarbageCollector(ApiOperations operations)
    {
        _operations = operations;
        operations.Store.Committed += OnCommitted;
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        _operations.Store.Committed -= OnCommitted;
        _work.Writer.TryComplete();
        await _loop;
    }

    /// <summary>Runs under the store lock: only queues work.</summary>
    private void OnCommitted(HistoryEvent e)
    {
        var obj = e.Object;
        var registry = _operations.Registry;
        if (e.Type == WatchEventType.Deleted)
        {
            _work.Writer.TryWrite(new Work(WorkKind.OwnerGone, obj.Uid));
            if (obj.Namespace.Length > 0 && _operations.Store.Get(registry.Namespaces.StorageKey, "", obj.Namespace) is { IsDeleting: true })
            {
                _work.Writer.TryWrite(new Work(WorkKind.Namespace, obj.Namespace));
            }

            if (e.StorageKey == registry.CustomResourceDefinitions.StorageKey)
            {
                var group = ObjectMeta.GetString(obj.Object["spec"] as JsonObject, "group");
                var plural = ObjectMeta.GetString(obj.Object["spec"]?["names"] as JsonObject, "plural");
                _work.Writer.TryWrite(new Work(WorkKind.CrdGone, group + "/" + plural));
            }

            return;
        }

        if (!obj.IsDeleting)
        {
            return;
        }

        if (e.StorageKey == registry.Namespaces.StorageKey)
        {
            _work.Writer.TryWrite(new Work(WorkKind.Namespace, obj.Name));
            return;
        }

        if (ObjectMeta.Finalizers(obj.Metadata).Contains(ApiOperations.OrphanFinalizer))
        {
            _work.Writer.TryWrite(new Work(WorkKind.Orphan, obj.Uid));
        }
    }

    private async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                switch (work.Kind)
                {
                    case WorkKind.OwnerGone:
                        CollectDependents(work.Key);
                        break;
                    case WorkKind.Orphan:
                        Orphan(work.Key);
                        break;
                    case WorkKind.Namespace:
                        EmptyNamespace(work.Key);
                        break;
                    case WorkKind.CrdGone:
                        RemoveAll(work.Key);
                        break;
                }
            }
            catch (ApiStatusException)
            {
                // The object changed or went away meanwhile: a later event queues fresh work, as the real controllers retry.
            }
        }
    }

    /// <summary>An owner is gone: dependents left with no live owner are deleted; the others lose the dangling reference.</summary>
    private void CollectDependents(string ownerUid)
    {
        foreach (var dependent in _operations.Store.DependentsOf(ownerUid))
        {
            lock (_operations.Store.SyncRoot)
            {
                var type = _operations.Registry.FindStorage(StorageKeyOf(dependent));
                var current = type is null ? null : _operations.Store.Get(type.StorageKey, dependent.Namespace, dependent.Name);
                if (type is null || current is null || current.Uid != dependent.Uid)
                {
                    continue;
                }

                var references = (current.Metadata["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                var alive = references.Where(r => ObjectMeta.GetString(r, "uid") is { } uid && _operations.Store.GetByUid(uid) is not null).ToList();
                if (alive.Count == 0)
                {
                    if (!current.IsDeleting)
                    {
                        _operations.Delete(type, NamespaceOf(type, current), current.Name, new DeleteRequest("Background", null, current.Uid, null), new WriteContext(Manager, false));
                    }
                }
                else if (alive.Count < references.Count)
                {
                    var next = current.CloneObject();
                    ObjectMeta.Metadata(next)["ownerReferences"] = new JsonArray([.. alive.Select(r => r.DeepClone())]);
                    _operations.Commit(type, current, next, null, new WriteContext(Manager, false));
                }
            }
        }
    }

    /// <summary>Orphan deletion: the dependents lose their reference to the owner, then the owner loses the orphan finalizer.</summary>
    private void Orphan(string ownerUid)
    {
        lock (_operations.Store.SyncRoot)
        {
            foreach (var dependent in _operations.Store.DependentsOf(ownerUid))
            {
                if (_operations.Registry.FindStorage(StorageKeyOf(dependent)) is not { } type)
                {
                    continue;
                }

                var next = dependent.CloneObject();
                var remaining = (dependent.Metadata["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(r => ObjectMeta.GetString(r, "uid") != ownerUid).Select(r => r.DeepClone()).ToList();
                if (remaining.Count == 0)
                {
                    ObjectMeta.Metadata(next).Remove("ownerReferences");
                }
                else
                {
                    ObjectMeta.Metadata(next)["ownerReferences"] = new JsonArray([.. remaining]);
                }

                _operations.Commit(type, dependent, next, null, new WriteContext(Manager, false));
            }

            RemoveFinalizer(ownerUid, ApiOperations.OrphanFinalizer);
        }
    }

    private void RemoveFinalizer(string uid, string finalizer)
    {
        if (_operations.Store.GetByUid(uid) is not { } owner || _operations.Registry.FindStorage(StorageKeyOf(owner)) is not { } type)
        {
            return;
        }

        var finalizers = ObjectMeta.Finalizers(owner.Metadata);
        if (!finalizers.Remove(finalizer))
        {
            return;
        }

        var next = owner.CloneObject();
        ObjectMeta.SetFinalizers(ObjectMeta.Metadata(next), finalizers);
        _operations.Commit(type, owner, next, null, new WriteContext(Manager, false));
    }

    private void EmptyNamespace(string name)
    {
        var registry = _operations.Registry;
        lock (_operations.Store.SyncRoot)
        {
            if (_operations.Store.Get(registry.Namespaces.StorageKey, "", name) is not { IsDeleting: true } ns)
            {
                return;
            }

            var content = _operations.Store.AllInNamespace(name);
            foreach (var (storageKey, obj) in content.Where(c => !c.Object.IsDeleting))
            {
                if (registry.FindStorage(storageKey) is { } type)
                {
                    _operations.Delete(type, obj.Namespace, obj.Name, new DeleteRequest("Background", 0, null, null), new WriteContext("namespace-controller", false));
                }
                else
                {
                    _operations.Store.Remove(storageKey, obj);
                }
            }

            if (_operations.Store.AllInNamespace(name).Count == 0)
            {
                _operations.FinishNamespace(ns);
            }
        }
    }

    private void RemoveAll(string storageKey)
    {
        lock (_operations.Store.SyncRoot)
        {
            foreach (var obj in _operations.Store.List(storageKey, null).Items)
            {
                _operations.Store.Remove(storageKey, obj);
            }
        }
    }

    private string StorageKeyOf(StoredObject obj)
    {
        var apiVersion = ObjectMeta.GetString(obj.Object, "apiVersion") ?? "";
        var kind = ObjectMeta.GetString(obj.Object, "kind") ?? "";
        return _operations.Registry.FindByKind(apiVersion, kind)?.StorageKey ?? "";
    }

    private static string? NamespaceOf(ResourceType type, StoredObject obj) => type.Namespaced ? obj.Namespace : null;
}
