using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Queue;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Controller.Reconciling;

/// <summary>
/// Runs one controller: waits until the caches of every kind it watches are synced, then, for each leadership term,
/// reconciles every known key and every key its watch events map to. On shutdown it stops taking keys, lets running
/// reconciles finish within <see cref="ControllerOptions.GracefulShutdownTimeout"/>, then cancels them.
/// </summary>
internal sealed class ControllerService<TEntity> : BackgroundService
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ControllerBuilder<TEntity> _builder;
    private readonly IServiceProvider _provider;
    private readonly IObjectCache<TEntity> _cache;
    private readonly Leadership _leadership;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _hardStop = new();

    public ControllerService(
        ControllerBuilder<TEntity> builder,
        IServiceProvider provider,
        IObjectCache<TEntity> cache,
        Leadership leadership,
        IOptions<ControllerOptions> options,
        ControllerMetrics metrics,
        TimeProvider timeProvider,
        ILogger<ControllerService<TEntity>> logger)
    {
        _builder = builder;
        _provider = provider;
        _cache = cache;
        _leadership = leadership;
        _options = options.Value;
        _logger = logger;
        Name = typeof(TEntity).Name;
        Loop = new ReconcileLoop(
            new ReconcileLoopSettings(Name, _options.MaxConcurrentReconciles,
                new ExponentialBackoff(_options.RetryBaseDelay, _options.RetryMaxDelay)),
            ReconcileAsync,
            metrics,
            timeProvider,
            logger);
    }

    /// <summary>The controller's name in logs and metrics: its primary kind.</summary>
    public string Name { get; }

    /// <summary>The workers (exposed for tests).</summary>
    internal ReconcileLoop Loop { get; }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Past the grace period (or the host's own shutdown deadline), running reconciles are cancelled.
        _hardStop.CancelAfter(_options.GracefulShutdownTimeout);
        await using var registration = cancellationToken.Register(_hardStop.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sources = _builder.Sources.Select(source => source(_provider)).ToList();
        foreach (var source in sources)
        {
            source.Subscribe(Loop.Enqueue);
        }

        try
        {
            _logger.LogInformation("{Controller}: waiting for caches of {Resources}", Name, string.Join(", ", sources.Select(s => s.Watcher.Name)));
            foreach (var source in sources)
            {
                await source.Watcher.WaitForSyncAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                var term = await _leadership.WaitForTermAsync(stoppingToken);
                _logger.LogInformation("{Controller}: reconciling with {Workers} workers", Name, _options.MaxConcurrentReconciles);
                using var cancelReconciles = CancellationTokenSource.CreateLinkedTokenSource(term, _hardStop.Token);
                await Loop.RunTermAsync(() => _cache.List().Select(ObjectKey.Of), stoppingToken, cancelReconciles.Token);
                _logger.LogInformation("{Controller}: stopped reconciling", Name);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        await using var scope = _provider.CreateAsyncScope();
        var reconciler = scope.ServiceProvider.GetRequiredService<IReconciler<TEntity>>();
        return await reconciler.ReconcileAsync(key, cancellationToken);
    }
}
