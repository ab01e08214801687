using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// List-then-watch of all pods, as client-go's reflector does it: list, hand over the full set, then watch from the
/// list's resourceVersion; on an ERROR event (410 Gone), a closed or failed watch, list again. A field selector
/// narrows the pods as the real components do (kubelet: <c>spec.nodeName=&lt;node&gt;</c>; scheduler: <c>spec.nodeName=</c>).
/// </summary>
internal sealed class PodInformer(IKubernetes client, ILogger logger, string? fieldSelector, Action<IList<V1Pod>> onList, Action<WatchEventType, V1Pod> onEvent)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: fieldSelector, cancellationToken: cancellationToken);
                onList(list.Items);
                var resourceVersion = list.Metadata.ResourceVersion;
                while (!cancellationToken.IsCancellationRequested && resourceVersion is not null)
                {
                    resourceVersion = await WatchAsync(resourceVersion, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or OperationCanceledException)
            {
                logger.LogDebug(e, "Pod watch failed; listing again");
                try
                {
                    await Task.Delay(RetryDelay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Watches until the server closes the watch; returns the resourceVersion to resume from, or null to list again.</summary>
    private async Task<string?> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var events = client.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true, fieldSelector: fieldSelector, resourceVersion: resourceVersion, timeoutSeconds: 300, onError: e => failure = e, cancellationToken: cancellationToken);
        await foreach (var (type, pod) in events)
        {
            if (type == WatchEventType.Error)
            {
                return null;
            }

            resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
            if (type != WatchEventType.Bookmark)
            {
                onEvent(type, pod);
            }
        }

        if (failure is not null)
        {
            logger.LogDebug(failure, "Pod watch ended with an error");
            return null;
        }

        return resourceVersion;
    }
}
