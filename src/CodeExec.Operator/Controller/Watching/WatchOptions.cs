using CodeExec.Operator.Controller.Caching;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller.Watching;

/// <summary>
/// How one kind is watched and cached. Configure it with
/// <c>services.Configure&lt;WatchOptions&lt;V1Pod&gt;&gt;(o =&gt; o.LabelSelector = "...")</c> or through the controller builder.
/// </summary>
/// <typeparam name="TEntity">The watched kind.</typeparam>
public sealed class WatchOptions<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Where the kind lives in the API. Null: read from the model's KubernetesEntity attribute (V1Pod and friends).</summary>
    public ResourceType? Resource { get; set; }

    /// <summary>Only objects matching this label selector are listed, watched and cached (for example sandbox Pods only).</summary>
    public string? LabelSelector { get; set; }

    /// <summary>Only objects matching this field selector are listed, watched and cached.</summary>
    public string? FieldSelector { get; set; }

    /// <summary>Watch one namespace only; null watches all of them. Ignored for cluster-scoped kinds.</summary>
    public string? Namespace { get; set; }

    /// <summary>
    /// Removes what reconcile does not need before an object is cached. Default: <see cref="CacheTrimming.TrimMetadata"/>.
    /// Applied to every watch event and, when listing, to each page's objects as soon as the page is decoded (before
    /// the next page is requested). Must be idempotent: the cache may apply it again.
    /// </summary>
    public Action<TEntity> Trim { get; set; } = CacheTrimming.TrimMetadata;

    /// <summary>
    /// When set, only objects it returns true for are cached and reported (checked after trimming, on lists and watch
    /// events); an object that stops matching is removed as if deleted. Null keeps every object the selectors match.
    /// </summary>
    public Func<TEntity, bool>? Keep { get; set; }

    /// <summary>
    /// Objects per page when listing this kind; null uses the shared <c>ListPageSize</c> (500). A list holds at most one
    /// page of untrimmed objects, so kinds whose objects may be large (ConfigMaps, Secrets: up to 1 MiB each) should
    /// use a small page.
    /// </summary>
    public int? ListPageSize
    {
        get;
        set => field = value is null or > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a list page holds at least one object");
    }
}

/// <summary>Settings shared by every watcher (from <c>Operator:Controller</c> in configuration).</summary>
/// <param name="WatchTimeout">Server-side timeout of one watch request; each watch picks a random one in [t, 2t) and is then renewed.</param>
/// <param name="ListPageSize">Objects per page when listing.</param>
/// <param name="ErrorBackoff">Delay between attempts after errors (jittered, capped).</param>
internal sealed record WatcherSettings(TimeSpan WatchTimeout, int ListPageSize, ExponentialBackoffSettings ErrorBackoff);

/// <summary>Base and cap of a jittered exponential backoff.</summary>
internal sealed record ExponentialBackoffSettings(TimeSpan BaseDelay, TimeSpan MaxDelay);
