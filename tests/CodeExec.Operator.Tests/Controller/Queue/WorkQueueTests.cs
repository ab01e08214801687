using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Queue;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Queue;

public sealed class WorkQueueTests : IDisposable
{
    private static readonly ObjectKey A = new("team-a", "hello");
    private static readonly ObjectKey B = new("team-a", "world");
    private readonly FakeTimeProvider _time = new();
    private readonly WorkQueue _queue;

    public WorkQueueTests() =>
        _queue = new WorkQueue(_time, new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)));

    public void Dispose() => _queue.Dispose();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_added_twice_while_waiting_is_handed_out_once()
    {
        _queue.Add(A);
        _queue.Add(A);
        _queue.Add(B);

        Assert.Equal(2, _queue.Depth);
        Assert.Equal(A, await _queue.TakeAsync(Token));
        Assert.Equal(B, await _queue.TakeAsync(Token));
        Assert.Equal(0, _queue.Depth);
    }

    [Fact]
    public async Task A_key_in_process_is_not_handed_out_again_until_done_and_then_runs_once_more()
    {
        _queue.Add(A);
        var first = await _queue.TakeAsync(Token);
        _queue.Add(A);
        _queue.Add(A);

        var second = _queue.TakeAsync(Token);
        Assert.False(second.IsCompleted);
        Assert.Equal(0, _queue.Depth);

        _queue.Done(first!.Value);
        Assert.Equal(A, await second);
        _queue.Done(A);

        var third = _queue.TakeAsync(Token);
        Assert.False(third.IsCompleted);
        _queue.ShutDown();
        Assert.Null(await third);
    }

    [Fact]
    public async Task Different_keys_are_handed_out_while_others_are_in_process()
    {
        _queue.Add(A);
        _queue.Add(B);

        var first = await _queue.TakeAsync(Token);
        var second = await _queue.TakeAsync(Token);

        Assert.Equal([A, B], new[] { first!.Value, second!.Value });
    }

    [Fact]
    public async Task Namespaces_take_turns_and_keys_of_one_namespace_keep_their_order()
    {
        for (var i = 0; i < 50; i++)
        {
            _queue.Add(new ObjectKey("team-a", "a" + i));
        }

        _queue.Add(new ObjectKey("team-b", "b0"));
        _queue.Add(new ObjectKey("team-b", "b1"));
        _queue.Add(new ObjectKey(null, "cluster-scoped"));

        var taken = new List<ObjectKey>();
        for (var i = 0; i < 53; i++)
        {
            taken.Add((await _queue.TakeAsync(Token))!.Value);
        }

        // team-b's first key comes second, not 51st; each namespace keeps its own order.
        Assert.Equal(
            [new("team-a", "a0"), new("team-b", "b0"), new(null, "cluster-scoped"), new("team-a", "a1"), new("team-b", "b1"), new("team-a", "a2")],
            taken.Take(6));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "a" + i), taken.Where(k => k.Namespace == "team-a").Select(k => k.Name));
        Assert.Equal(0, _queue.Depth);
    }

    [Fact]
    public async Task A_waiting_taker_gets_a_key_added_later()
    {
        var taking = _queue.TakeAsync(Token);
        Assert.False(taking.IsCompleted);

        _queue.Add(B);

        Assert.Equal(B, await taking);
    }

    [Fact]
    public async Task A_cancelled_taker_does_not_swallow_a_later_key()
    {
        using var cancel = new CancellationTokenSource();
        var cancelled = _queue.TakeAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);

        _queue.Add(A);

        Assert.Equal(1, _queue.Depth);
        Assert.Equal(A, await _queue.TakeAsync(Token));
    }

    [Fact]
    public async Task AddAfter_holds_the_key_until_the_delay_has_passed()
    {
        _queue.AddAfter(A, TimeSpan.FromSeconds(30));
        var taking = _queue.TakeAsync(Token);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(taking.IsCompleted);
        Assert.Equal(1, _queue.DelayedCount);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(A, await taking);
        Assert.Equal(0, _queue.DelayedCount);
    }

    [Fact]
    public async Task The_earliest_of_several_delays_for_one_key_wins_and_the_key_runs_once()
    {
        _queue.AddAfter(A, TimeSpan.FromSeconds(60));
        _queue.AddAfter(A, TimeSpan.FromSeconds(10));
        _queue.AddAfter(A, TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(A, await _queue.TakeAsync(Token));
        _queue.Done(A);

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, _queue.Depth);
        Assert.Equal(0, _queue.DelayedCount);
    }

    [Fact]
    public void Backoff_doubles_per_failure_up_to_the_cap_and_forget_resets_it()
    {
        var delays = Enumerable.Range(0, 6).Select(_ => _queue.AddWithBackoff(A)).ToList();

        Assert.Equal(
            new[] { 1, 2, 4, 8, 10, 10 }.Select(seconds => TimeSpan.FromSeconds(seconds)),
            delays);
        Assert.Equal(6, _queue.FailuresOf(A));
        Assert.Equal(TimeSpan.FromSeconds(1), _queue.AddWithBackoff(B));

        _queue.Forget(A);
        Assert.Equal(0, _queue.FailuresOf(A));
        Assert.Equal(TimeSpan.FromSeconds(1), _queue.AddWithBackoff(A));
    }

    [Fact]
    public async Task A_key_requeued_with_backoff_comes_back_after_its_delay()
    {
        _queue.AddWithBackoff(A);
        _queue.AddWithBackoff(A);
        _queue.AddWithBackoff(A); // third failure: 4 s, but the first (1 s) is still pending and earlier
        var taking = _queue.TakeAsync(Token);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(taking.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(A, await taking);
    }

    [Fact]
    public async Task After_shutdown_adds_are_ignored_and_takers_get_null()
    {
        _queue.Add(A);
        _queue.AddAfter(B, TimeSpan.FromSeconds(1));
        _queue.ShutDown();
        _queue.Add(B);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(_queue.IsShutDown);
        Assert.Null(await _queue.TakeAsync(Token));
        Assert.Equal(0, _queue.Depth);
    }

    [Fact]
    public void Depth_changes_are_reported()
    {
        var reported = new List<int>();
        using var queue = new WorkQueue(_time, new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), reported.Add);

        queue.Add(A);
        queue.Add(B);

        Assert.Equal([1, 2], reported);
    }

    [Fact]
    public async Task The_wait_of_each_key_from_ready_to_taken_is_reported()
    {
        var waits = new List<TimeSpan>();
        using var queue = new WorkQueue(_time, new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), waited: waits.Add);

        queue.Add(A);
        _time.Advance(TimeSpan.FromSeconds(3));
        queue.Add(B);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(A, await queue.TakeAsync(Token));
        Assert.Equal(B, await queue.TakeAsync(Token));
        queue.Done(A);
        var waiting = queue.TakeAsync(Token);
        queue.Add(A); // handed straight to the waiting worker
        Assert.Equal(A, await waiting);

        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.Zero], waits);
    }
}
