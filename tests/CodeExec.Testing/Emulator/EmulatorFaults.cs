namespace CodeExec.Testing.Emulator;

/// <summary>
/// Faults a test switches on while the emulator runs: closed watches, failed or throttled requests, latency, a
/// compacted history (the next watch from an old resourceVersion gets 410 Gone), and one verb failing on one resource.
/// </summary>
public sealed class EmulatorFaults
{
    private readonly Lock _lock = new();
    private readonly List<RequestRule> _rules = [];
    private readonly Func<int> _closeAllWatches;
    private readonly Action _compactHistory;
    private Random? _random;
    private double _failureFraction;
    private int _failureStatusCode;
    private TimeSpan _retryAfter;
    private long _injected;
    private readonly Dictionary<(string Method, string Resource), long> _seen = [];

    internal EmulatorFaults(Func<int> closeAllWatches, Action compactHistory)
    {
        _closeAllWatches = closeAllWatches;
        _compactHistory = compactHistory;
    }

    /// <summary>Delay added before every API request is served.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>How many requests have been failed on purpose so far.</summary>
    public long InjectedFailures => Interlocked.Read(ref _injected);

    /// <summary>
    /// How many requests of <paramref name="method"/> (WATCH for watches) on <paramref name="resource"/> (plural, with an
    /// optional <c>/subresource</c>) the emulator has received, failed or not: a test counts the operator's attempts.
    /// </summary>
    public long Requests(string method, string resource)
    {
        lock (_lock)
        {
            return _seen.GetValueOrDefault((method.ToUpperInvariant(), resource));
        }
    }

    /// <summary>Ends every open watch now (the client sees its stream end, as when an API server restarts). Returns how many.</summary>
    public int CloseAllWatches() => _closeAllWatches();

    /// <summary>Forgets the watch history: a watch or exact list from any resourceVersion before now gets 410 Gone.</summary>
    public void CompactHistory() => _compactHistory();

    /// <summary>
    /// Fails a fraction of API requests with <paramref name="statusCode"/> (500 InternalError or 429 TooManyRequests with
    /// a Retry-After header), chosen by a random generator seeded with <paramref name="seed"/> so a run can be repeated.
    /// A fraction of 0 switches this off.
    /// </summary>
    public void FailRandomly(double fraction, int statusCode = 500, int seed = 1, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1);
        lock (_lock)
        {
            _failureFraction = fraction;
            _failureStatusCode = statusCode;
            _retryAfter = retryAfter ?? TimeSpan.FromSeconds(1);
            _random = new Random(seed);
        }
    }

    /// <summary>
    /// Fails requests of one HTTP method (GET, POST, PUT, PATCH, DELETE, or WATCH for watch requests) on one resource,
    /// given as its plural with an optional subresource (<c>codeexecutions/status</c>), with
    /// <paramref name="statusCode"/>. <paramref name="times"/> limits how many requests fail (null: until
    /// <see cref="Reset"/>). The answer is a <c>kind: Status</c> body with <paramref name="message"/> and
    /// <paramref name="reason"/> when given (otherwise a generic text and the reason of the code), so a test can answer
    /// as kube-apiserver's admission does, for example 403 Forbidden
    /// <c>pods "x" is forbidden: exceeded quota: q, requested: limits.memory=2Gi, used: ..., limited: ...</c>.
    /// </summary>
    public void FailRequests(string method, string resource, int statusCode, int? times = null, string? message = null, string? reason = null)
    {
        lock (_lock)
        {
            _rules.Add(new RequestRule(method.ToUpperInvariant(), resource, statusCode, message, reason) { Remaining = times });
        }
    }

    /// <summary>Switches every fault off (open watches already closed stay closed).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _rules.Clear();
            _failureFraction = 0;
            _random = null;
            Latency = TimeSpan.Zero;
        }
    }

    /// <summary>Throws the injected failure for this request, if any.</summary>
    internal void Check(string method, string resource)
    {
        lock (_lock)
        {
            _seen[(method, resource)] = _seen.GetValueOrDefault((method, resource)) + 1;
            foreach (var rule in _rules)
            {
                if (rule.Method == method && rule.Resource == resource && rule.Remaining is null or > 0)
                {
                    rule.Remaining--;
                    Interlocked.Increment(ref _injected);
                    throw Failure(rule.StatusCode, rule.Message, null, rule.Reason);
                }
            }

            if (_random is not null && _failureFraction > 0 && _random.NextDouble() < _failureFraction)
            {
                Interlocked.Increment(ref _injected);
                throw Failure(_failureStatusCode, null, _failureStatusCode == 429 ? _retryAfter : null);
            }
        }
    }

    private static ApiStatusException Failure(int statusCode, string? message, TimeSpan? retryAfter, string? reasonOverride = null)
    {
        var reason = reasonOverride ?? statusCode switch
        {
            400 => "BadRequest",
            422 => "Invalid",
            409 => "Conflict",
            429 => "TooManyRequests",
            404 => "NotFound",
            403 => "Forbidden",
            410 => "Expired",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        var text = message ?? statusCode switch
        {
            429 => "the server has received too many requests and has asked us to try again later",
            409 => "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again",
            _ => "Internal error occurred: fault injected by the emulator",
        };
        System.Text.Json.Nodes.JsonObject? details = retryAfter is { } delay
            ? new() { ["retryAfterSeconds"] = (int)Math.Ceiling(delay.TotalSeconds) }
            : null;
        return new ApiStatusException(statusCode, reason, text, details, retryAfter);
    }

    private sealed record RequestRule(string Method, string Resource, int StatusCode, string? Message, string? Reason)
    {
        public int? Remaining { get; set; }
    }
}
