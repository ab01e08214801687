using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer created on it (Task.Delay, CancelAfter), so a test can wait
/// until the code under test is really waiting before it advances the clock, instead of guessing with real sleeps.
/// </summary>
internal sealed class ObservedTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created whose due time is at most <paramref name="atMost"/>.</summary>
    public async Task<TimeSpan> NextTimerAsync(TimeSpan atMost)
    {
        while (true)
        {
            var due = await _timers.Reader.ReadAsync(TestContext.Current.CancellationToken);
            if (due <= atMost)
            {
                return due;
            }
        }
    }
}
