using CodeExec.Operator.Controller.Client;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Client;

public sealed class TokenBucketTests
{
    private static TimeSpan Seconds(double value) => TimeSpan.FromSeconds(value);

    [Fact]
    public void A_full_bucket_lets_a_burst_through_then_spaces_requests_at_qps()
    {
        var bucket = new TokenBucket(qps: 10, burst: 3, now: Seconds(0));

        var waits = Enumerable.Range(0, 5).Select(_ => bucket.Reserve(Seconds(0)).TotalMilliseconds).ToList();

        Assert.Equal(0, waits[0]);
        Assert.Equal(0, waits[1]);
        Assert.Equal(0, waits[2]);
        Assert.Equal(100, waits[3], precision: 6);
        Assert.Equal(200, waits[4], precision: 6);
    }

    [Fact]
    public void Tokens_refill_at_qps_but_never_beyond_the_burst()
    {
        var bucket = new TokenBucket(qps: 2, burst: 2, now: Seconds(0));
        bucket.Reserve(Seconds(0));
        bucket.Reserve(Seconds(0));

        Assert.Equal(TimeSpan.Zero, bucket.Reserve(Seconds(0.5)));
        Assert.Equal(500, bucket.Reserve(Seconds(0.5)).TotalMilliseconds, precision: 6);

        // An hour idle refills to the burst (2), not to 7200.
        var later = Seconds(3600);
        Assert.Equal(TimeSpan.Zero, bucket.Reserve(later));
        Assert.Equal(TimeSpan.Zero, bucket.Reserve(later));
        Assert.True(bucket.Reserve(later) > TimeSpan.Zero);
    }
}
