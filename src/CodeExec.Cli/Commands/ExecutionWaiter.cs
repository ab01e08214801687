using CodeExec.Api;
using CodeExec.Cli.Cluster;
using k8s;
using k8s.Autorest;

namespace CodeExec.Cli.Commands;

/// <summary>
/// Waits for a CodeExecution to reach a final phase: a watch on it alone (fieldSelector metadata.name) from the
/// resourceVersion last seen, re-established when the server ends it; after <see cref="MaxWatchFailures"/> watches in a
/// row fail or end without an event, polls with GET every <paramref name="pollInterval"/>.
/// </summary>
/// <param name="cluster">The cluster and namespace.</param>
/// <param name="onChange">Called with each new version of the execution seen.</param>
/// <param name="pollInterval">The interval between GETs once polling.</param>
internal sealed class ExecutionWaiter(ClusterConnection cluster, Action<CodeExecution> onChange, TimeSpan pollInterval)
{
    public const int MaxWatchFailures = 3;

    /// <summary>Seconds a single watch request lasts before the server closes it (then it is re-established).</summary>
    private const int WatchTimeoutSeconds = 300;

    /// <summary>True once the waiter gave up on watches and polls.</summary>
    public bool Polling { get; private set; }

    /// <summary>The execution in its final phase.</summary>
    /// <exception cref="CliException">The execution was deleted before it finished.</exception>
    public async Task<CodeExecution> WaitAsync(CodeExecution created, CancellationToken cancellationToken)
    {
        var current = created;
        var name = created.Metadata.Name;
        var failures = 0;
        while (!ExecutionPhase.IsFinal(current.Status?.Phase))
        {
            if (failures < MaxWatchFailures)
            {
                var (last, events) = await WatchAsync(current, cancellationToken);
                if (last is not null)
                {
                    current = last;
                }

                if (events == 0)
                {
                    failures++;
                    current = await GetAsync(name, cancellationToken);
                }
                else
                {
                    failures = 0;
                }
            }
            else
            {
                Polling = true;
                await Task.Delay(pollInterval, cancellationToken);
                current = await GetAsync(name, cancellationToken);
            }
        }

        return current;
    }

    /// <summary>One watch from <paramref name="from"/>'s resourceVersion: the last version seen (null if none) and how many versions came.</summary>
    private async Task<(CodeExecution? Last, int Events)> WatchAsync(CodeExecution from, CancellationToken cancellationToken)
    {
        CodeExecution? last = null;
        var events = 0;
        try
        {
            var watch = cluster.Client.CustomObjects.WatchListNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version,
                cluster.Namespace, ApiConstants.CodeExecutionPlural, fieldSelector: "metadata.name=" + from.Metadata.Name,
                resourceVersion: from.Metadata.ResourceVersion, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: cancellationToken);
            await foreach (var (type, item) in watch)
            {
                // The client gives custom objects untyped (a JsonElement): read it as a CodeExecution.
                var execution = item is null ? null : KubernetesJson.Deserialize<CodeExecution>(KubernetesJson.Serialize(item));
                if (type == WatchEventType.Deleted)
                {
                    throw new CliException($"codeexecution/{from.Metadata.Name} was deleted before it finished");
                }

                // Only versions of the execution count as progress: an ERROR event (410 Gone) ends in a GET and a new watch.
                if (type is WatchEventType.Added or WatchEventType.Modified && execution is not null)
                {
                    events++;
                    last = execution;
                    onChange(execution);
                    if (ExecutionPhase.IsFinal(execution.Status?.Phase))
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or KubernetesException or IOException
                                      && !cancellationToken.IsCancellationRequested)
        {
            // Expired resourceVersion (410), a dropped connection, a server without watch: the caller GETs and retries.
            return (last, 0);
        }

        return (last, events);
    }

    private async Task<CodeExecution> GetAsync(string name, CancellationToken cancellationToken)
    {
        var current = await cluster.GetExecutionAsync(name, cancellationToken)
            ?? throw new CliException($"codeexecution/{name} was deleted before it finished");
        onChange(current);
        return current;
    }
}
