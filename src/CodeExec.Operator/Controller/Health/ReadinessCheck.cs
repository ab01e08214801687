using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Controller.Watching;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CodeExec.Operator.Controller.Health;

/// <summary>
/// Ready once every watched kind's cache has synced and the leader elector runs (or leader election is off). A
/// follower is ready too: it is healthy and waiting, and readiness must not flap with leadership.
/// </summary>
internal sealed class ReadinessCheck(IEnumerable<IResourceWatcher> watchers, Leadership leadership) : IHealthCheck
{
    /// <summary>The tag of checks that make up <c>/readyz</c>.</summary>
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var unsynced = watchers.Where(watcher => !watcher.IsSynced).Select(watcher => watcher.Name).ToList();
        var data = new Dictionary<string, object>
        {
            ["leader"] = leadership.IsLeader,
            ["electorRunning"] = leadership.ElectorRunning,
        };
        if (unsynced.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"caches not synced: {string.Join(", ", unsynced)}", data: data));
        }

        return Task.FromResult(leadership.ElectorRunning
            ? HealthCheckResult.Healthy("caches synced", data)
            : HealthCheckResult.Unhealthy("leader election not running", data: data));
    }
}
