using CodeExec.Operator.Controller.Watching;
using k8s;

namespace CodeExec.Operator.Controller.Client;

/// <summary>
/// The operator's Kubernetes client: the generated typed API of <see cref="Kubernetes"/> (registered as
/// <see cref="IKubernetes"/>), plus raw streaming requests for the watcher, which reads watch streams line by line
/// itself. Raw requests go through the same authentication, TLS and handlers (rate limiting) as typed calls.
/// </summary>
internal sealed class KubernetesApiClient(KubernetesClientConfiguration configuration, params DelegatingHandler[] handlers)
    : Kubernetes(configuration, handlers), IKubernetesStreamSource
{
    /// <summary>
    /// Sends a GET for <paramref name="pathAndQuery"/> (relative to the server) and returns once the headers arrived,
    /// leaving the body to stream. A non-success status throws <see cref="k8s.Autorest.HttpOperationException"/>.
    /// </summary>
    public async Task<HttpResponseMessage> GetStreamingAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, pathAndQuery.TrimStart('/')));
        return await SendRequestRaw("", request, cancellationToken);
    }
}
