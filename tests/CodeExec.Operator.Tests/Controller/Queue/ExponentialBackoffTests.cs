using CodeExec.Operator.Controller.Queue;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Queue;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void Without_jitter_delays_double_from_the_base_to_the_cap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        var delays = Enumerable.Range(1, 6).Select(failures => backoff.DelayAfter(failures).TotalMilliseconds);

        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays);
    }

    [Fact]
    public void Jittered_delays_stay_between_the_exact_delay_and_the_jitter_bound_and_never_pass_the_cap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), JitterFraction: 0.5);
        var random = new Random(42);
        var distinct = new HashSet<TimeSpan>();

        for (var i = 0; i < 200; i++)
        {
            var second = backoff.DelayAfter(2, random);
            Assert.InRange(second, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
            distinct.Add(second);
            Assert.InRange(backoff.DelayAfter(10, random), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        }

        Assert.True(distinct.Count > 100, "jitter spreads the delays");
    }

    [Fact]
    public void A_huge_failure_count_does_not_overflow()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        Assert.Equal(TimeSpan.FromMinutes(5), backoff.DelayAfter(int.MaxValue));
    }
}
