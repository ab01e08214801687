using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller.Caching;

/// <summary>What a full relist changed in the cache, so the watchers' subscribers hear of each change.</summary>
internal sealed record CacheDiff<TEntity>(
    IReadOnlyList<TEntity> Added,
    IReadOnlyList<(TEntity Old, TEntity New)> Updated,
    IReadOnlyList<TEntity> Deleted);

/// <summary>
/// The store behind <see cref="IObjectCache{TEntity}"/>: a dictionary by key plus an index by controller owner UID.
/// Objects are trimmed before they are stored. Thread-safe; written only by the kind's watcher.
/// </summary>
internal sealed class ObjectCache<TEntity>(Action<TEntity>? trim = null) : IObjectCache<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ObjectKey, TEntity> _objects = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _byControllerUid = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsSynced => _synced.Task.IsCompleted;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    public TEntity? Find(ObjectKey key)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<TEntity> List(string? namespaceName = null)
    {
        lock (_lock)
        {
            return namespaceName is null
                ? [.. _objects.Values]
                : [.. _objects.Where(entry => entry.Key.Namespace == namespaceName).Select(entry => entry.Value)];
        }
    }

    public IReadOnlyList<TEntity> ListControlledBy(string ownerUid)
    {
        lock (_lock)
        {
            return _byControllerUid.TryGetValue(ownerUid, out var keys) ? [.. keys.Select(key => _objects[key])] : [];
        }
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Marks the cache synced (after the first full list).</summary>
    public void MarkSynced() => _synced.TrySetResult();

    /// <summary>Trims and stores <paramref name="entity"/>; returns the object it replaced, if any.</summary>
    public TEntity? Upsert(TEntity entity)
    {
        trim?.Invoke(entity);
        var key = ObjectKey.Of(entity);
        lock (_lock)
        {
            var previous = RemoveLocked(key);
            AddLocked(key, entity);
            return previous;
        }
    }

    /// <summary>Removes the object named by <paramref name="key"/>; returns it, if it was there.</summary>
    public TEntity? Remove(ObjectKey key)
    {
        lock (_lock)
        {
            return RemoveLocked(key);
        }
    }

    /// <summary>Replaces the whole content with a fresh full list and reports what changed.</summary>
    public CacheDiff<TEntity> Replace(IEnumerable<TEntity> entities)
    {
        List<TEntity> added = [];
        List<(TEntity, TEntity)> updated = [];
        List<TEntity> deleted = [];
        var fresh = new Dictionary<ObjectKey, TEntity>();
        foreach (var entity in entities)
        {
            trim?.Invoke(entity);
            fresh[ObjectKey.Of(entity)] = entity;
        }

        lock (_lock)
        {
            foreach (var key in _objects.Keys.Where(key => !fresh.ContainsKey(key)).ToList())
            {
                deleted.Add(RemoveLocked(key)!);
            }

            foreach (var (key, entity) in fresh)
            {
                var previous = RemoveLocked(key);
                AddLocked(key, entity);
                if (previous is null)
                {
                    added.Add(entity);
                }
                else if (previous.Metadata.ResourceVersion != entity.Metadata.ResourceVersion)
                {
                    updated.Add((previous, entity));
                }
            }
        }

        return new CacheDiff<TEntity>(added, updated, deleted);
    }

    private void AddLocked(ObjectKey key, TEntity entity)
    {
        _objects[key] = entity;
        if (ControllerUid(entity) is { } ownerUid)
        {
            if (!_byControllerUid.TryGetValue(ownerUid, out var keys))
            {
                _byControllerUid[ownerUid] = keys = [];
            }

            keys.Add(key);
        }
    }

    private TEntity? RemoveLocked(ObjectKey key)
    {
        if (!_objects.Remove(key, out var previous))
        {
            return null;
        }

        if (ControllerUid(previous) is { } ownerUid && _byControllerUid.TryGetValue(ownerUid, out var keys))
        {
            keys.Remove(key);
            if (keys.Count == 0)
            {
                _byControllerUid.Remove(ownerUid);
            }
        }

        return previous;
    }

    private static string? ControllerUid(TEntity entity) =>
        entity.Metadata.OwnerReferences?.FirstOrDefault(owner => owner.Controller == true)?.Uid;
}
