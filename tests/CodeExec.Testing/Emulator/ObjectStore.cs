using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CodeExec.Testing.Emulator;

/// <summary>One committed version of an object: its JSON tree (never mutated once stored) and its serialized bytes.</summary>
internal sealed class StoredObject(JsonObject obj, byte[] json, long resourceVersion)
{
    public JsonObject Object { get; } = obj;
    public byte[] Json { get; } = json;
    public long ResourceVersion { get; } = resourceVersion;
    public JsonObject Metadata => (JsonObject)Object["metadata"]!;
    public string Name => Metadata["name"]!.GetValue<string>();
    public string Namespace => Metadata["namespace"]?.GetValue<string>() ?? "";
    public string Uid => Metadata["uid"]!.GetValue<string>();
    public JsonObject? Labels => Metadata["labels"] as JsonObject;
    public bool IsDeleting => Metadata["deletionTimestamp"] is not null;
    public JsonArray? Finalizers => Metadata["finalizers"] as JsonArray;
    public bool HasFinalizers => Finalizers is { Count: > 0 };

    /// <summary>A mutable deep copy to build the next version from.</summary>
    public JsonObject CloneObject() => (JsonObject)Object.DeepClone();
}

internal enum WatchEventType { Added, Modified, Deleted }

/// <summary>A committed change as the watch history keeps it.</summary>
internal sealed record HistoryEvent(long ResourceVersion, string StorageKey, WatchEventType Type, StoredObject? Old, StoredObject Object);

/// <summary>What a watch connection writes next: an event's object, a bookmark, or an error.</summary>
internal readonly record struct WatchFrame(string Type, byte[] ObjectJson);

/// <summary>
/// The emulator's etcd and watch cache in one: all objects in memory, one global resourceVersion counter, a bounded
/// history of changes for watches that resume from a resourceVersion, and the open watches to fan changes out to.
/// Every read and write takes <see cref="SyncRoot"/> briefly; objects are immutable once stored, so readers can use
/// them (and their cached JSON) after the lock is released.
/// </summary>
internal sealed class ObjectStore(int historyCapacity)
{
    private readonly Dictionary<string, Dictionary<(string Namespace, string Name), StoredObject>> _objects = [];
    private readonly Dictionary<string, (string StorageKey, string Namespace, string Name)> _byUid = [];
    private readonly Dictionary<string, HashSet<(string StorageKey, string Namespace, string Name)>> _dependents = [];
    private readonly Dictionary<string, List<Watcher>> _watchers = [];
    private readonly HistoryEvent?[] _history = new HistoryEvent?[Math.Max(1, historyCapacity)];
    private int _historyStart;
    private int _historyCount;
    private long _resourceVersion;
    private long _compactedThrough;

    public Lock SyncRoot { get; } = new();

    /// <summary>Raised (under the lock) after every commit; the garbage collector listens.</summary>
    public event Action<HistoryEvent>? Committed;

    public long CurrentResourceVersion
    {
        get
        {
            lock (SyncRoot)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Oldest resourceVersion a watch can still resume from; older ones get 410 Gone.</summary>
    public long CompactedThrough
    {
        get
        {
            lock (SyncRoot)
            {
                return _compactedThrough;
            }
        }
    }

    public StoredObject? Get(string storageKey, string @namespace, string name)
    {
        lock (SyncRoot)
        {
            return _objects.TryGetValue(storageKey, out var items) && items.TryGetValue((@namespace, name), out var stored) ? stored : null;
        }
    }

    public StoredObject? GetByUid(string uid)
    {
        lock (SyncRoot)
        {
            return _byUid.TryGetValue(uid, out var key) ? Get(key.StorageKey, key.Namespace, key.Name) : null;
        }
    }

    /// <summary>Snapshot of a resource's objects (optionally one namespace) with the resourceVersion it was taken at.</summary>
    public (List<StoredObject> Items, long ResourceVersion) List(string storageKey, string? @namespace)
    {
        lock (SyncRoot)
        {
            var result = new List<StoredObject>();
            if (_objects.TryGetValue(storageKey, out var items))
            {
                foreach (var ((ns, _), stored) in items)
                {
                    if (@namespace is null || ns == @namespace)
                    {
                        result.Add(stored);
                    }
                }
            }

            return (result, _resourceVersion);
        }
    }

    /// <summary>The dependents recorded through ownerReferences naming this uid.</summary>
    public List<StoredObject> DependentsOf(string ownerUid)
    {
        lock (SyncRoot)
        {
            if (!_dependents.TryGetValue(ownerUid, out var keys))
            {
                return [];
            }

            return [.. keys.Select(k => Get(k.StorageKey, k.Namespace, k.Name)).OfType<StoredObject>()];
        }
    }

    /// <summary>Every stored object of every resource in a namespace.</summary>
    public List<(string StorageKey, StoredObject Object)> AllInNamespace(string @namespace)
    {
        lock (SyncRoot)
        {
            var result = new List<(string, StoredObject)>();
            foreach (var (storageKey, items) in _objects)
            {
                result.AddRange(items.Where(i => i.Key.Namespace == @namespace).Select(i => (storageKey, i.Value)));
            }

            return result;
        }
    }

    /// <summary>Stores a new version of an object (create or update); the caller holds <see cref="SyncRoot"/>.</summary>
    public StoredObject Put(string storageKey, JsonObject obj, StoredObject? previous)
    {
        RequestLimits.CheckStorable(storageKey + "/" + ObjectMeta.Metadata(obj)["namespace"] + "/" + ObjectMeta.Metadata(obj)["name"], obj);
        var rv = ++_resourceVersion;
        var metadata = (JsonObject)obj["metadata"]!;
        metadata["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ObjectMeta.OrderTypeMetaFirst(obj);
        var stored = new StoredObject(obj, ObjectMeta.Serialize(obj), rv);
        if (!_objects.TryGetValue(storageKey, out var items))
        {
            _objects[storageKey] = items = [];
        }

        var key = (stored.Namespace, stored.Name);
        items[key] = stored;
        _byUid[stored.Uid] = (storageKey, key.Namespace, key.Name);
        IndexOwners(storageKey, previous, stored);
        Record(new HistoryEvent(rv, storageKey, previous is null ? WatchEventType.Added : WatchEventType.Modified, previous, stored));
        return stored;
    }

    /// <summary>Removes an object for good; its DELETED event carries a new resourceVersion. Caller holds the lock.</summary>
    public StoredObject Remove(string storageKey, StoredObject current)
    {
        var rv = ++_resourceVersion;
        var last = current.CloneObject();
        ((JsonObject)last["metadata"]!)["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stored = new StoredObject(last, ObjectMeta.Serialize(last), rv);
        if (_objects.TryGetValue(storageKey, out var items))
        {
            items.Remove((current.Namespace, current.Name));
        }

        _byUid.Remove(current.Uid);
        IndexOwners(storageKey, current, null);
        Record(new HistoryEvent(rv, storageKey, WatchEventType.Deleted, current, stored));
        return stored;
    }

    /// <summary>
    /// Opens a watch: replays the history after <paramref name="fromResourceVersion"/> (or synthetic ADDED events for
    /// the current objects when it is null) and registers for what follows, atomically.
    /// </summary>
    public Watcher OpenWatch(string storageKey, string? @namespace, LabelSelector? labels, FieldSelector? fields, long? fromResourceVersion)
    {
        var watcher = new Watcher(storageKey, @namespace, labels, fields);
        lock (SyncRoot)
        {
            if (fromResourceVersion is { } from)
            {
                if (from < _compactedThrough)
                {
                    throw ApiStatusException.Gone($"too old resource version: {from} ({_compactedThrough})");
                }

                for (var i = 0; i < _historyCount; i++)
                {
                    var e = _history[(_historyStart + i) % _history.Length]!;
                    if (e.ResourceVersion > from && e.StorageKey == storageKey)
                    {
                        watcher.Offer(e);
                    }
                }
            }
            else if (_objects.TryGetValue(storageKey, out var items))
            {
                foreach (var stored in items.Values.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
                {
                    if (watcher.Accepts(stored))
                    {
                        watcher.Enqueue(new WatchFrame("ADDED", stored.Json));
                    }
                }
            }

            if (!_watchers.TryGetValue(storageKey, out var list))
            {
                _watchers[storageKey] = list = [];
            }

            list.Add(watcher);
        }

        return watcher;
    }

    public void CloseWatch(Watcher watcher)
    {
        lock (SyncRoot)
        {
            if (_watchers.TryGetValue(watcher.StorageKey, out var list))
            {
                list.Remove(watcher);
            }
        }

        watcher.Close();
    }

    /// <summary>Ends every open watch (a fault a test injects, or shutdown).</summary>
    public int CloseAllWatches()
    {
        List<Watcher> all;
        lock (SyncRoot)
        {
            all = [.. _watchers.Values.SelectMany(w => w)];
            _watchers.Clear();
        }

        foreach (var watcher in all)
        {
            watcher.Close();
        }

        return all.Count;
    }

    /// <summary>Drops the whole watch history, so any watch from an older resourceVersion gets 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (SyncRoot)
        {
            Array.Clear(_history);
            _historyStart = 0;
            _historyCount = 0;
            _compactedThrough = _resourceVersion;
        }
    }

    /// <summary>Queues a bookmark for a watcher in order with its events.</summary>
    public void Bookmark(Watcher watcher, ResourceType type, bool initialEventsEnd = false)
    {
        lock (SyncRoot)
        {
            var metadata = new JsonObject();
            if (initialEventsEnd)
            {
                metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            metadata["resourceVersion"] = _resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);

            var bookmark = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind, ["metadata"] = metadata };
            watcher.Enqueue(new WatchFrame("BOOKMARK", ObjectMeta.Serialize(bookmark)));
        }
    }

    /// <summary>Rebuilds a resource's objects as they were at <paramref name="resourceVersion"/> from the history.</summary>
    public List<StoredObject> ListAt(string storageKey, string? @namespace, long resourceVersion)
    {
        lock (SyncRoot)
        {
            if (resourceVersion < _compactedThrough)
            {
                throw ApiStatusException.Gone($"too old resource version: {resourceVersion} ({_compactedThrough})");
            }

            var state = new Dictionary<(string, string), StoredObject>();
            if (_objects.TryGetValue(storageKey, out var items))
            {
                foreach (var (key, value) in items)
                {
                    state[key] = value;
                }
            }

            for (var i = _historyCount - 1; i >= 0; i--)
            {
                var e = _history[(_historyStart + i) % _history.Length]!;
                if (e.ResourceVersion <= resourceVersion)
                {
                    break;
                }

                if (e.StorageKey != storageKey)
                {
                    continue;
                }

                var key = (e.Object.Namespace, e.Object.Name);
                if (e.Type == WatchEventType.Added)
                {
                    state.Remove(key);
                }
                else
                {
                    state[key] = e.Old!;
                }
            }

            return [.. state.Values.Where(s => @namespace is null || s.Namespace == @namespace)];
        }
    }

    private void Record(HistoryEvent e)
    {
        if (_historyCount == _history.Length)
        {
            _compactedThrough = _history[_historyStart]!.ResourceVersion;
            _history[_historyStart] = null;
            _historyStart = (_historyStart + 1) % _history.Length;
            _historyCount--;
        }

        _history[(_historyStart + _historyCount) % _history.Length] = e;
        _historyCount++;

        if (_watchers.TryGetValue(e.StorageKey, out var list))
        {
            foreach (var watcher in list)
            {
                watcher.Offer(e);
            }
        }

        Committed?.Invoke(e);
    }

    private void IndexOwners(string storageKey, StoredObject? previous, StoredObject? next)
    {
        var before = OwnerUids(previous);
        var after = OwnerUids(next);
        if (before.Count == 0 && after.Count == 0)
        {
            return;
        }

        var source = previous ?? next!;
        var key = (storageKey, source.Namespace, source.Name);
        foreach (var uid in before.Except(after))
        {
            if (_dependents.TryGetValue(uid, out var set) && set.Remove(key) && set.Count == 0)
            {
                _dependents.Remove(uid);
            }
        }

        foreach (var uid in after)
        {
            if (!_dependents.TryGetValue(uid, out var set))
            {
                _dependents[uid] = set = [];
            }

            set.Add(key);
        }
    }

    private static List<string> OwnerUids(StoredObject? stored) =>
        stored?.Metadata["ownerReferences"] is JsonArray refs
            ? [.. refs.OfType<JsonObject>().Select(r => r["uid"]?.GetValue<string>()).OfType<string>()]
            : [];
}

/// <summary>One open watch: its filters and the queue of frames its HTTP response writes out.</summary>
internal sealed class Watcher(string storageKey, string? @namespace, LabelSelector? labels, FieldSelector? fields)
{
    private readonly Channel<WatchFrame> _frames = Channel.CreateUnbounded<WatchFrame>(new UnboundedChannelOptions { SingleReader = true });

    public string StorageKey { get; } = storageKey;

    public ChannelReader<WatchFrame> Frames => _frames.Reader;

    public bool Accepts(StoredObject stored) =>
        (@namespace is null || stored.Namespace == @namespace)
        && (labels is null || labels.Matches(stored.Labels))
        && (fields is null || fields.Matches(stored.Object));

    /// <summary>Turns a change into what this watcher sees, as the API server does with selectors: an object that stops matching is DELETED for it, one that starts matching is ADDED.</summary>
    public void Offer(HistoryEvent e)
    {
        switch (e.Type)
        {
            case WatchEventType.Added when Accepts(e.Object):
                Enqueue(new WatchFrame("ADDED", e.Object.Json));
                break;
            case WatchEventType.Deleted when Accepts(e.Object):
                Enqueue(new WatchFrame("DELETED", e.Object.Json));
                break;
            case WatchEventType.Modified:
                var now = Accepts(e.Object);
                var before = e.Old is not null && Accepts(e.Old);
                if (now || before)
                {
                    Enqueue(new WatchFrame(now && before ? "MODIFIED" : now ? "ADDED" : "DELETED", e.Object.Json));
                }

                break;
        }
    }

    public void Enqueue(WatchFrame frame) => _frames.Writer.TryWrite(frame);

    /// <summary>Ends the watch: its response ends once the frames already queued are written.</summary>
    public void Close() => _frames.Writer.TryComplete();
}
