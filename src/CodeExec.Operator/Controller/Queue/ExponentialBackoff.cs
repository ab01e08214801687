namespace CodeExec.Operator.Controller.Queue;

/// <summary>
/// Delays that double with each consecutive failure, from <see cref="BaseDelay"/> up to <see cref="MaxDelay"/>, with an
/// optional random spread so that many clients failing together do not retry together.
/// </summary>
/// <param name="BaseDelay">The delay after the first failure.</param>
/// <param name="MaxDelay">The cap, reached after enough failures and never passed (jitter included).</param>
/// <param name="JitterFraction">0 for exact delays; 0.2 spreads each delay over [d, 1.2·d] before the cap.</param>
internal sealed record ExponentialBackoff(TimeSpan BaseDelay, TimeSpan MaxDelay, double JitterFraction = 0)
{
    /// <summary>The delay before retry number <paramref name="failures"/> + 1, after that many failures in a row (at least 1).</summary>
    public TimeSpan DelayAfter(int failures, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        // 2^62 ticks is far beyond any cap: clamp the exponent so the shift cannot overflow.
        var exponent = Math.Min(failures - 1, 40);
        var ticks = Math.Min((double)BaseDelay.Ticks * Math.Pow(2, exponent), MaxDelay.Ticks);
        if (JitterFraction > 0)
        {
            ticks *= 1 + (JitterFraction * (random ?? Random.Shared).NextDouble());
        }

        return TimeSpan.FromTicks((long)Math.Min(ticks, MaxDelay.Ticks));
    }
}
