using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Permissions;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Controller.LeaderElection;

/// <summary>
/// Runs the client library's <see cref="LeaderElector"/> on a Lease and turns its callbacks into terms of
/// <see cref="Leadership"/>: a replica that acquires the Lease begins a term; one that fails to renew within the
/// renew deadline ends it at once (cancelling in-flight reconciles) and goes back to trying to acquire it. On a
/// graceful stop the leader releases the Lease so a follower takes over without waiting for it to expire.
/// With leader election off, one term begins at start and lasts until the process ends. The <see cref="LeaseLock"/>
/// reads, creates and updates (renews, releases) the Lease in its namespace, the operator's own: a Role there grants it.
/// </summary>
[KubernetesPermission("coordination.k8s.io", "leases", "get", "create", "update", Scope = PermissionScope.OwnNamespace)]
internal sealed class LeaderElectionService(
    IKubernetes client,
    Leadership leadership,
    IOptions<LeaderElectionOptions> options,
    ControllerMetrics metrics,
    TimeProvider timeProvider,
    ILogger<LeaderElectionService> logger) : BackgroundService
{
    /// <summary>The identity this replica writes into the Lease.</summary>
    public string Identity { get; } = options.Value.Identity is { Length: > 0 } identity ? identity : DefaultIdentity();

    /// <summary>The pod name (or host name) plus a random suffix, so a restarted pod never inherits its own old lease.</summary>
    public static string DefaultIdentity()
    {
        var podName = Environment.GetEnvironmentVariable("POD_NAME");
        var name = string.IsNullOrEmpty(podName) ? Environment.MachineName : podName;
        return $"{name}_{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The Lease namespace: configured, else the service account's namespace in cluster, else <c>default</c>.</summary>
    public static string ResolveLeaseNamespace(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        const string serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(serviceAccountNamespace) ? File.ReadAllText(serviceAccountNamespace).Trim() : "default";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        leadership.Changed += metrics.SetLeader;
        if (!settings.Enabled)
        {
            leadership.ElectorRunning = true;
            leadership.BeginTerm();
            return;
        }

        var leaseNamespace = ResolveLeaseNamespace(settings.LeaseNamespace);
        var lease = new LeaseLock(client, leaseNamespace, settings.LeaseName, Identity);
        using var elector = new LeaderElector(new LeaderElectionConfig(lease)
        {
            LeaseDuration = settings.LeaseDuration,
            RenewDeadline = settings.RenewDeadline,
            RetryPeriod = settings.RetryPeriod,
        });
        elector.OnStartedLeading += () =>
        {
            logger.LogInformation("Became leader on Lease {Namespace}/{Name} as {Identity}", leaseNamespace, settings.LeaseName, Identity);
            leadership.BeginTerm();
        };
        elector.OnStoppedLeading += () =>
        {
            logger.LogWarning("Stopped leading on Lease {Namespace}/{Name}: reconciling stops", leaseNamespace, settings.LeaseName);
            leadership.EndTerm();
        };
        elector.OnNewLeader += leader => logger.LogInformation("Leader is now {Leader}", leader);
        elector.OnError += e => logger.LogDebug(e, "Leader election attempt failed");

        logger.LogInformation("Leader election on Lease {Namespace}/{Name} as {Identity}", leaseNamespace, settings.LeaseName, Identity);
        leadership.ElectorRunning = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await elector.RunUntilLeadershipLostAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // The elector lets transport errors (API server down) escape while acquiring: keep trying.
                    logger.LogWarning(e, "Leader election failed; trying again in {Delay}", settings.RetryPeriod);
                    leadership.EndTerm();
                    try
                    {
                        await Task.Delay(settings.RetryPeriod, timeProvider, stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            leadership.EndTerm();
            leadership.ElectorRunning = false;
            if (elector.IsLeader())
            {
                await ReleaseAsync(lease);
            }
        }
    }

    // Gives the Lease up (empty holder, shortest duration) if this replica still holds it, as client-go's ReleaseOnCancel does.
    private async Task ReleaseAsync(LeaseLock lease)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var record = await lease.GetAsync(timeout.Token);
            if (record.HolderIdentity != Identity)
            {
                return;
            }

            record.HolderIdentity = "";
            record.LeaseDurationSeconds = 1;
            record.RenewTime = timeProvider.GetUtcNow().UtcDateTime;
            if (await lease.UpdateAsync(record, timeout.Token))
            {
                logger.LogInformation("Released Lease {Lease}", lease.Describe());
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Could not release Lease {Lease}; a follower takes over when it expires", lease.Describe());
        }
    }
}
