namespace CodeExec.Operator.Controller.Client;

/// <summary>
/// Client-side rate limit of the Kubernetes client (client-go's QPS and burst), as a handler in the client's HTTP
/// pipeline: every request, typed or raw, waits for a token of a shared <see cref="TokenBucket"/>.
/// </summary>
internal sealed class ClientRateLimitingHandler(double qps, int burst, TimeProvider timeProvider) : DelegatingHandler
{
    private readonly TokenBucket _bucket = new(qps, burst, Now(timeProvider));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var wait = _bucket.Reserve(Now(timeProvider));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, timeProvider, cancellationToken);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private static TimeSpan Now(TimeProvider timeProvider) =>
        TimeSpan.FromSeconds(timeProvider.GetTimestamp() / (double)timeProvider.TimestampFrequency);
}
