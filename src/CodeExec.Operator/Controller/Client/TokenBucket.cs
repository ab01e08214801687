namespace CodeExec.Operator.Controller.Client;

/// <summary>
/// A token bucket: holds up to <c>burst</c> tokens and refills at <c>qps</c> tokens per second. Each request reserves a
/// token and learns how long to wait before it may go (zero while tokens are left), so requests leave at most
/// <c>burst</c> at once and <c>qps</c> per second on average, in arrival order. The clock is passed in, so the
/// arithmetic is testable without time passing.
/// </summary>
internal sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly double _qps;
    private readonly double _burst;
    private double _tokens;
    private TimeSpan _updatedAt;

    public TokenBucket(double qps, int burst, TimeSpan now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(qps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _qps = qps;
        _burst = burst;
        _tokens = burst;
        _updatedAt = now;
    }

    /// <summary>Takes one token at <paramref name="now"/> (monotonic time) and returns how long the caller must wait first.</summary>
    public TimeSpan Reserve(TimeSpan now)
    {
        lock (_lock)
        {
            if (now > _updatedAt)
            {
                _tokens = Math.Min(_burst, _tokens + ((now - _updatedAt).TotalSeconds * _qps));
                _updatedAt = now;
            }

            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _qps);
        }
    }
}
