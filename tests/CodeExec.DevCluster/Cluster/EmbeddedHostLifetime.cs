using Microsoft.Extensions.Hosting;

namespace CodeExec.DevCluster.Cluster;

/// <summary>
/// A host lifetime that leaves the process's signals alone: the operator host embedded in a bigger program is started
/// and stopped by that program, not by Ctrl+C or SIGTERM (which the default console lifetime would take over).
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
