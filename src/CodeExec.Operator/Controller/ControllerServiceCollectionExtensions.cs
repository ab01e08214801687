using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Controller.Health;
using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Queue;
using CodeExec.Operator.Controller.Reconciling;
using CodeExec.Operator.Controller.Watching;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Controller;

/// <summary>Registration of the controller machinery and of controllers.</summary>
public static class ControllerServiceCollectionExtensions
{
    /// <summary>
    /// Registers a controller for <typeparamref name="TEntity"/> whose logic is <typeparamref name="TReconciler"/>
    /// (scoped: a new instance per reconcile), for example
    /// <c>services.AddController&lt;CodeExecution, CodeExecutionReconciler&gt;(c =&gt; c.Owns&lt;V1Pod&gt;(w =&gt; w.LabelSelector = "..."))</c>.
    /// The primary kind and every kind the builder names are watched and cached; read them through
    /// <see cref="IObjectCache{TEntity}"/>. Needs <see cref="AddControllerRuntime"/> (the operator host calls it).
    /// </summary>
    public static IServiceCollection AddController<TEntity, TReconciler>(
        this IServiceCollection services,
        Action<ControllerBuilder<TEntity>>? configure = null)
        where TEntity : class, IKubernetesObject<V1ObjectMeta>
        where TReconciler : class, IReconciler<TEntity>
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(ControllerBuilder<TEntity>)))
        {
            throw new InvalidOperationException($"a controller for {typeof(TEntity).Name} is already registered");
        }

        var builder = new ControllerBuilder<TEntity>(services);
        configure?.Invoke(builder);
        services.AddSingleton(builder);
        services.AddScoped<IReconciler<TEntity>, TReconciler>();
        services.AddSingleton<ControllerService<TEntity>>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<ControllerService<TEntity>>());
        return services;
    }

    /// <summary>
    /// Watches and caches <typeparamref name="TEntity"/> (once per process; further calls only add configuration),
    /// making <see cref="IObjectCache{TEntity}"/> available even to code that is not a controller.
    /// </summary>
    public static IServiceCollection AddWatchedResource<TEntity>(this IServiceCollection services, Action<WatchOptions<TEntity>>? configure = null)
        where TEntity : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(descriptor => descriptor.ServiceType == typeof(ResourceWatcher<TEntity>)))
        {
            return services;
        }

        services.AddOptions<WatchOptions<TEntity>>();
        services.AddSingleton(provider => new ObjectCache<TEntity>(provider.GetRequiredService<IOptions<WatchOptions<TEntity>>>().Value.Trim));
        services.AddSingleton<IObjectCache<TEntity>>(provider => provider.GetRequiredService<ObjectCache<TEntity>>());
        services.AddSingleton(provider =>
        {
            var controller = provider.GetRequiredService<IOptions<ControllerOptions>>().Value;
            return new ResourceWatcher<TEntity>(
                provider.GetRequiredService<IKubernetesStreamSource>(),
                provider.ResourceTypeOf<TEntity>(),
                provider.GetRequiredService<IOptions<WatchOptions<TEntity>>>().Value,
                new WatcherSettings(controller.WatchTimeout, controller.ListPageSize,
                    new ExponentialBackoffSettings(controller.WatchErrorBaseDelay, controller.WatchErrorMaxDelay)),
                provider.GetRequiredService<ObjectCache<TEntity>>(),
                provider.GetRequiredService<ControllerMetrics>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>().CreateLogger($"CodeExec.Operator.Watch.{typeof(TEntity).Name}"));
        });
        services.AddSingleton<IResourceWatcher>(provider => provider.GetRequiredService<ResourceWatcher<TEntity>>());
        return services;
    }

    /// <summary>
    /// Registers the machinery every controller shares: leader election (first, so it stops last), the watchers, the
    /// metrics (on the <see cref="System.Diagnostics.Metrics.IMeterFactory"/> of the container), the readiness check and <see cref="TimeProvider"/>. The Kubernetes client (<see cref="IKubernetes"/>
    /// and the watchers' stream source) is registered by the host, or by tests pointing at an emulator.
    /// </summary>
    public static IServiceCollection AddControllerRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(Leadership)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ControllerOptions>();
        services.AddOptions<LeaderElectionOptions>();
        services.AddMetrics();
        services.AddSingleton<ControllerMetrics>();
        services.AddSingleton<Leadership>();
        services.AddSingleton<LeaderElectionService>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<LeaderElectionService>());
        services.AddSingleton<IHostedService, WatchersService>();
        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("controller", tags: [ReadinessCheck.Tag]);
        return services;
    }

    /// <summary>Registers <paramref name="client"/> as the operator's Kubernetes client and the watchers' stream source.</summary>
    internal static IServiceCollection AddKubernetesClient(this IServiceCollection services, Func<IServiceProvider, KubernetesApiClient> client)
    {
        services.AddSingleton(client);
        services.AddSingleton<IKubernetes>(provider => provider.GetRequiredService<KubernetesApiClient>());
        services.AddSingleton<IKubernetesStreamSource>(provider => provider.GetRequiredService<KubernetesApiClient>());
        return services;
    }

    /// <summary>The resource type of <typeparamref name="TEntity"/>: configured in its WatchOptions, else from its model attribute.</summary>
    internal static ResourceType ResourceTypeOf<TEntity>(this IServiceProvider provider)
        where TEntity : class, IKubernetesObject<V1ObjectMeta> =>
        provider.GetRequiredService<IOptions<WatchOptions<TEntity>>>().Value.Resource
        ?? ResourceType.FromEntityAttribute(typeof(TEntity))
        ?? throw new InvalidOperationException(
            $"{typeof(TEntity).Name} has no KubernetesEntity attribute: set WatchOptions<{typeof(TEntity).Name}>.Resource");
}
