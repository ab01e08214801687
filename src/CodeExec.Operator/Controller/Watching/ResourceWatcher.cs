using System.Net;
using System.Text;
using System.Text.Json;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Queue;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Operator.Controller.Watching;

/// <summary>Sends raw GETs whose body may stream (lists and watches).</summary>
internal interface IKubernetesStreamSource
{
    /// <summary>GETs <paramref name="pathAndQuery"/>; returns after the headers; non-success throws <see cref="HttpOperationException"/>.</summary>
    Task<HttpResponseMessage> GetStreamingAsync(string pathAndQuery, CancellationToken cancellationToken);
}

/// <summary>
/// The RBAC verbs a <see cref="ResourceWatcher{TEntity}"/> needs on the kind it watches: the paged GET of the collection
/// (<c>list</c>) and the GET with <c>watch=true</c> (<c>watch</c>); both across all namespaces unless the watch options name
/// one. The operator's ClusterRole grants them for every kind registered to be watched (<c>Hosting/OperatorPermissions</c>).
/// </summary>
internal static class WatchRequests
{
    public static readonly IReadOnlyList<string> Verbs = ["list", "watch"];
}

/// <summary>What happened to one object, as the cache saw it.</summary>
internal enum ChangeKind
{
    Added,
    Updated,
    Deleted,
}

/// <summary>A change to one cached object, delivered to the watcher's subscribers after the cache was updated.</summary>
internal sealed record ObjectChange<TEntity>(ChangeKind Kind, TEntity Entity, TEntity? Previous);

/// <summary>A running watch of one kind (the non-generic view the host and health checks use).</summary>
internal interface IResourceWatcher
{
    /// <summary>The watched resource, for logs, metrics and health output.</summary>
    string Name { get; }

    /// <summary>True once the first full list was cached.</summary>
    bool IsSynced { get; }

    /// <summary>Completes once <see cref="IsSynced"/> is true.</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken);

    /// <summary>Lists and watches until cancelled.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Keeps an <see cref="ObjectCache{TEntity}"/> equal to the server's view of one kind, the way client-go's reflector
/// does: list (paged), then watch from the list's resourceVersion with bookmarks; renew the watch when the server ends
/// it; relist when the resourceVersion expired (410 Gone, as an HTTP status or an ERROR event); after other errors
/// wait a jittered, capped, growing delay. Every change is handed to the subscribers once the cache holds it.
/// </summary>
internal sealed class ResourceWatcher<TEntity>(
    IKubernetesStreamSource api,
    ResourceType resource,
    WatchOptions<TEntity> options,
    WatcherSettings settings,
    ObjectCache<TEntity> cache,
    ControllerMetrics metrics,
    TimeProvider timeProvider,
    ILogger logger) : IResourceWatcher
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan ClientTimeoutGrace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortestHealthyWatch = TimeSpan.FromSeconds(1);

    // The client library's serializer options (its converters for dates, quantities and int-or-string), to decode list
    // pages from a stream with System.Text.Json directly: KubernetesJson only decodes streams synchronously.
    private static readonly Lazy<JsonSerializerOptions> JsonOptions = new(() =>
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? throw new InvalidOperationException("KubernetesJson did not expose its serializer options");
    });

    private readonly ExponentialBackoff _errorBackoff = new(settings.ErrorBackoff.BaseDelay, settings.ErrorBackoff.MaxDelay, JitterFraction: 0.5);
    private readonly Lock _subscribersLock = new();
    private Action<ObjectChange<TEntity>>[] _subscribers = [];

    public string Name => resource.ToString();

    public bool IsSynced => cache.IsSynced;

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => cache.WaitForSyncAsync(cancellationToken);

    /// <summary>The resourceVersion the next watch resumes from (null when a full list is due).</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>Objects per list page: the watch's own <see cref="WatchOptions{TEntity}.ListPageSize"/>, else the shared setting.</summary>
    public int ListPageSize => options.ListPageSize ?? settings.ListPageSize;

    /// <summary>How many full lists this watcher has made (the first, and one after each expiry).</summary>
    public int ListCount { get; private set; }

    /// <summary>Calls <paramref name="handler"/> for every change, on the watcher's task: keep it short (enqueue a key).</summary>
    public void Subscribe(Action<ObjectChange<TEntity>> handler)
    {
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, handler];
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (ResourceVersion is null)
                {
                    await ListAsync(cancellationToken);
                }

                var healthy = await WatchOnceAsync(ResourceVersion!, cancellationToken);
                failures = healthy ? 0 : failures + 1;
                if (failures > 0)
                {
                    await Task.Delay(_errorBackoff.DelayAfter(failures), timeProvider, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone)
            {
                logger.LogInformation("{Resource}: resourceVersion {Version} expired (410); listing again", Name, ResourceVersion);
                metrics.WatchRestarted(Name, "expired");
                ResourceVersion = null;
            }
            catch (Exception e)
            {
                failures++;
                var delay = _errorBackoff.DelayAfter(failures);
                logger.LogWarning(e, "{Resource}: list/watch failed ({Failures} in a row); retrying in {Delay}", Name, failures, delay);
                metrics.WatchRestarted(Name, "error");
                try
                {
                    await Task.Delay(delay, timeProvider, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    // Lists the kind page by page. Each page is decoded from the response stream (never read into one string) and
    // each of its objects is trimmed (WatchOptions.Trim) before the next page is requested, so at most one page of
    // untrimmed objects is alive at a time, on the first list and on every relist alike.
    private async Task ListAsync(CancellationToken cancellationToken)
    {
        List<TEntity> items = [];
        string? continueToken = null;
        string? listVersion;
        do
        {
            var query = new StringBuilder("?limit=").Append(ListPageSize);
            AppendSelectors(query);
            if (continueToken is not null)
            {
                query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
            }

            KubernetesList<TEntity> page;
            using (var response = await api.GetStreamingAsync(resource.CollectionPath(options.Namespace) + query, cancellationToken))
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                page = await JsonSerializer.DeserializeAsync<KubernetesList<TEntity>>(stream, JsonOptions.Value, cancellationToken)
                    ?? throw new InvalidDataException($"{Name}: empty list response");
            }

            foreach (var item in page.Items ?? [])
            {
                options.Trim(item);
                if (options.Keep?.Invoke(item) ?? true)
                {
                    items.Add(item);
                }
            }

            page.Items = null;
            continueToken = string.IsNullOrEmpty(page.Metadata?.ContinueProperty) ? null : page.Metadata.ContinueProperty;
            listVersion = page.Metadata?.ResourceVersion;
        }
        while (continueToken is not null);

        var diff = cache.Replace(items);
        ListCount++;
        ResourceVersion = listVersion ?? throw new InvalidDataException($"{Name}: list without a resourceVersion");
        cache.MarkSynced();
        metrics.SetCachedObjects(Name, cache.Count);
        logger.LogDebug("{Resource}: listed {Count} objects at resourceVersion {Version}", Name, items.Count, ResourceVersion);
        foreach (var added in diff.Added)
        {
            Notify(new ObjectChange<TEntity>(ChangeKind.Added, added, null));
        }

        foreach (var (old, updated) in diff.Updated)
        {
            Notify(new ObjectChange<TEntity>(ChangeKind.Updated, updated, old));
        }

        foreach (var deleted in diff.Deleted)
        {
            Notify(new ObjectChange<TEntity>(ChangeKind.Deleted, deleted, null));
        }
    }

    // One watch request, read to its end. Returns false when it ended too soon to count as healthy (a server that
    // closes watches at once must not be hammered); an expired resourceVersion clears ResourceVersion instead.
    private async Task<bool> WatchOnceAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        var timeout = settings.WatchTimeout * (1 + Random.Shared.NextDouble());
        var query = new StringBuilder("?watch=true&allowWatchBookmarks=true")
            .Append("&resourceVersion=").Append(Uri.EscapeDataString(resourceVersion))
            .Append("&timeoutSeconds=").Append((int)timeout.TotalSeconds);
        AppendSelectors(query);

        // The server ends the watch after timeoutSeconds; if the connection silently died, the client ends it a bit later.
        using var deadline = new CancellationTokenSource(timeout + ClientTimeoutGrace, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = timeProvider.GetTimestamp();
        var events = 0;
        try
        {
            using var response = await api.GetStreamingAsync(resource.CollectionPath(options.Namespace) + query, linked.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(linked.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                var watchEvent = WatchEventLine<TEntity>.Parse(line);
                events++;
                if (watchEvent.IsExpired)
                {
                    logger.LogInformation("{Resource}: watch from {Version} expired (410); listing again", Name, resourceVersion);
                    metrics.WatchRestarted(Name, "expired");
                    ResourceVersion = null;
                    return true;
                }

                if (watchEvent.Kind == WatchEventKind.Error)
                {
                    throw new KubernetesException(watchEvent.Status);
                }

                Apply(watchEvent);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("{Resource}: watch silent past its timeout; starting it again", Name);
        }

        metrics.WatchRestarted(Name, "closed");
        return events > 0 || timeProvider.GetElapsedTime(started) >= ShortestHealthyWatch;
    }

    private void Apply(WatchEventLine<TEntity> watchEvent)
    {
        if (watchEvent.ResourceVersion is { Length: > 0 } version)
        {
            ResourceVersion = version;
        }

        switch (watchEvent.Kind)
        {
            case WatchEventKind.Added or WatchEventKind.Modified when options.Keep is { } keep && !KeepTrimmed(watchEvent.Entity!, keep):
                // Not (or no longer) one to cache: forget it if it was cached.
                if (cache.Remove(ObjectKey.Of(watchEvent.Entity!)) is { } forgotten)
                {
                    Notify(new ObjectChange<TEntity>(ChangeKind.Deleted, watchEvent.Entity!, forgotten));
                }

                break;
            case WatchEventKind.Added or WatchEventKind.Modified:
                var entity = watchEvent.Entity!;
                var previous = cache.Upsert(entity);
                Notify(new ObjectChange<TEntity>(previous is null ? ChangeKind.Added : ChangeKind.Updated, entity, previous));
                break;
            case WatchEventKind.Deleted:
                var removed = cache.Remove(ObjectKey.Of(watchEvent.Entity!));
                options.Trim(watchEvent.Entity!);
                Notify(new ObjectChange<TEntity>(ChangeKind.Deleted, watchEvent.Entity!, removed));
                break;
            default:
                return;
        }

        metrics.SetCachedObjects(Name, cache.Count);
    }

    private bool KeepTrimmed(TEntity entity, Func<TEntity, bool> keep)
    {
        options.Trim(entity);
        return keep(entity);
    }

    private void Notify(ObjectChange<TEntity> change)
    {
        foreach (var subscriber in _subscribers)
        {
            try
            {
                subscriber(change);
            }
            catch (Exception e)
            {
                logger.LogError(e, "{Resource}: a subscriber failed on {Kind} of {Key}", Name, change.Kind, ObjectKey.Of(change.Entity));
            }
        }
    }

    private void AppendSelectors(StringBuilder query)
    {
        if (!string.IsNullOrEmpty(options.LabelSelector))
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(options.LabelSelector));
        }

        if (!string.IsNullOrEmpty(options.FieldSelector))
        {
            query.Append("&fieldSelector=").Append(Uri.EscapeDataString(options.FieldSelector));
        }
    }
}
