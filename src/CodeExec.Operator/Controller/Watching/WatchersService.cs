using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeExec.Operator.Controller.Watching;

/// <summary>Runs every registered watcher for the life of the process (leader or not, so followers' caches stay warm).</summary>
internal sealed class WatchersService(IEnumerable<IResourceWatcher> watchers, ILogger<WatchersService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = watchers.Select(watcher => Task.Run(async () =>
        {
            logger.LogInformation("Watching {Resource}", watcher.Name);
            await watcher.RunAsync(stoppingToken);
        }, CancellationToken.None));
        return Task.WhenAll(running);
    }
}
