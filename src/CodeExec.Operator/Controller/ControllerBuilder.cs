using CodeExec.Operator.Controller.Owners;
using CodeExec.Operator.Controller.Watching;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CodeExec.Operator.Controller;

/// <summary>
/// Declares what a controller watches besides its primary kind, as controller-runtime's builder does:
/// <c>Owns&lt;V1Pod&gt;()</c> maps each Pod event to its controller owner's key; <c>Watches&lt;T&gt;(map)</c> maps
/// events of any other kind to keys with a function. Every watched kind is listed, watched and cached once per
/// process, however many controllers use it.
/// </summary>
/// <typeparam name="TEntity">The controller's primary kind.</typeparam>
public sealed class ControllerBuilder<TEntity>
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly List<Func<IServiceProvider, EventSource>> _sources = [];

    internal ControllerBuilder(IServiceCollection services)
    {
        Services = services;
        Services.AddWatchedResource<TEntity>();
        _sources.Add(provider => new EventSource(
            provider.GetRequiredService<ResourceWatcher<TEntity>>(),
            enqueue => provider.GetRequiredService<ResourceWatcher<TEntity>>()
                .Subscribe(change => enqueue(ObjectKey.Of(change.Entity)))));
    }

    /// <summary>The service collection, for further registrations.</summary>
    public IServiceCollection Services { get; }

    internal IReadOnlyList<Func<IServiceProvider, EventSource>> Sources => _sources;

    /// <summary>Configures how the primary kind is watched (label selector, namespace, trimming, resource type).</summary>
    public ControllerBuilder<TEntity> WatchWith(Action<WatchOptions<TEntity>> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Watches <typeparamref name="TChild"/> objects and reconciles their controller owner of the primary kind
    /// (found through the child's controller ownerReference). Children of other owners are ignored.
    /// </summary>
    public ControllerBuilder<TEntity> Owns<TChild>(Action<WatchOptions<TChild>>? configure = null)
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        Services.AddWatchedResource(configure);
        _sources.Add(provider =>
        {
            var watcher = provider.GetRequiredService<ResourceWatcher<TChild>>();
            var ownerType = provider.ResourceTypeOf<TEntity>();
            return new EventSource(watcher, enqueue => watcher.Subscribe(change =>
            {
                if (OwnerMapping.ControllerOwnerKey(change.Entity, ownerType) is { } owner)
                {
                    enqueue(owner);
                }

                if (change.Previous is not null && OwnerMapping.ControllerOwnerKey(change.Previous, ownerType) is { } previousOwner)
                {
                    enqueue(previousOwner);
                }
            }));
        });
        return this;
    }

    /// <summary>
    /// Watches <typeparamref name="TOther"/> objects and reconciles the keys <paramref name="map"/> returns for each
    /// changed object (for example every CodeExecution that names a changed CodeRuntime, read from the cache).
    /// </summary>
    public ControllerBuilder<TEntity> Watches<TOther>(
        Func<TOther, IServiceProvider, IEnumerable<ObjectKey>> map,
        Action<WatchOptions<TOther>>? configure = null)
        where TOther : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(map);
        Services.AddWatchedResource(configure);
        _sources.Add(provider =>
        {
            var watcher = provider.GetRequiredService<ResourceWatcher<TOther>>();
            return new EventSource(watcher, enqueue => watcher.Subscribe(change =>
            {
                foreach (var key in map(change.Entity, provider))
                {
                    enqueue(key);
                }
            }));
        });
        return this;
    }

    /// <summary>A watched kind that feeds the controller's queue: its watcher (to wait for sync) and how to subscribe.</summary>
    internal sealed record EventSource(IResourceWatcher Watcher, Action<Action<ObjectKey>> Subscribe);
}
