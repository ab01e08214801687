using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using CodeExec.Operator.Controller.Metrics;

namespace CodeExec.Operator.Controller.Client;

/// <summary>
/// Counts and times every request of the operator's Kubernetes client, as a handler in the client's HTTP pipeline
/// (inside the rate limiter, so the time is the API server's, not the wait for a token):
/// <c>codeexec_kubernetes_api_requests_total{verb,resource,code}</c> and
/// <c>codeexec_kubernetes_api_request_duration_seconds{verb,resource}</c> (for a watch: until its headers arrived).
/// <c>verb</c> is the Kubernetes verb the request is authorized as (get, list, watch, create, update, patch, delete,
/// deletecollection; see <see cref="VerbOf"/>), <c>resource</c> the resource with its subresource (<c>pods/log</c>),
/// <c>code</c> the HTTP status code, or <c>error</c> when no response came (timeout, connection failure). Object names
/// and namespaces never become labels.
/// </summary>
internal sealed class KubernetesApiMetricsHandler : DelegatingHandler
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public KubernetesApiMetricsHandler(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(OperatorTelemetry.Name);
        _requests = meter.CreateCounter<long>("codeexec.kubernetes.api.requests", "{request}",
            "Requests of the operator's Kubernetes client, by verb, resource and HTTP status code.");
        _duration = meter.CreateHistogram("codeexec.kubernetes.api.request.duration", "s",
            "Time until the API server's response headers arrived, by verb and resource.",
            advice: OperatorTelemetry.SecondsAdvice);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (verb, resource) = VerbOf(request.Method, request.RequestUri);
        var verbTag = KeyValuePair.Create<string, object?>("verb", verb);
        var resourceTag = KeyValuePair.Create<string, object?>("resource", resource);
        var started = Stopwatch.GetTimestamp();
        var code = "error";
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            code = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            return response;
        }
        finally
        {
            _requests.Add(1, verbTag, resourceTag, KeyValuePair.Create<string, object?>("code", code));
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, verbTag, resourceTag);
        }
    }

    /// <summary>
    /// The Kubernetes verb and resource of a request, from its method and path as the API server's request info
    /// resolver reads them (k8s.io/apiserver pkg/endpoints/request/requestinfo.go): paths <c>/api/v1/...</c> and
    /// <c>/apis/GROUP/VERSION/...</c>, optionally <c>namespaces/NS/</c>, then RESOURCE[/NAME[/SUBRESOURCE]]. GET of a
    /// collection is list, or watch with <c>watch=true</c>/<c>1</c>; GET of a named object get; POST create; PUT
    /// update; PATCH patch; DELETE of a collection deletecollection, of a named object delete. Other paths give the
    /// method in lower case and resource <c>""</c>.
    /// </summary>
    public static (string Verb, string Resource) VerbOf(HttpMethod method, Uri? uri)
    {
        ArgumentNullException.ThrowIfNull(method);
        var fallback = (method.Method.ToLowerInvariant(), "");
        if (uri is null)
        {
            return fallback;
        }

        var path = (uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString.Split('?')[0]).Trim('/').Split('/');
        var skip = path switch
        {
            ["api", _, ..] => 2,
            ["apis", _, _, ..] => 3,
            _ => -1,
        };
        if (skip < 0 || path.Length <= skip)
        {
            return fallback;
        }

        var parts = path.AsSpan(skip);
        // namespaces/NS/RESOURCE...: a namespaced resource; namespaces[/NS] alone is the Namespace object itself.
        if (parts.Length >= 3 && parts[0] == "namespaces")
        {
            parts = parts[2..];
        }

        var resource = parts.Length >= 3 ? parts[0] + "/" + parts[2] : parts[0];
        var named = parts.Length >= 2;
        var query = uri.IsAbsoluteUri ? uri.Query : (uri.OriginalString.Split('?', 2) is [_, var q] ? "?" + q : "");
        var watch = query.Contains("watch=true", StringComparison.OrdinalIgnoreCase) || query.Contains("watch=1", StringComparison.Ordinal);
        var verb = method.Method.ToUpperInvariant() switch
        {
            "GET" when named => "get",
            "GET" => watch ? "watch" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => named ? "delete" : "deletecollection",
            _ => method.Method.ToLowerInvariant(),
        };
        return (verb, resource);
    }
}
