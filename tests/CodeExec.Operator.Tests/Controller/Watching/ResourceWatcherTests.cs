using System.Collections.Concurrent;
using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Controller.Watching;
using CodeExec.Operator.Tests.Controller.Fakes;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Watching;

public sealed class ResourceWatcherTests : IAsyncDisposable
{
    private static readonly ResourceType CodeExecutions = new("codeexec.dev", "v1alpha1", "codeexecutions", "CodeExecution");
    private static readonly ControllerMetrics Metrics = TestMeters.ControllerMetrics();
    private readonly ScriptedStreamSource _api = new();
    private readonly ObservedTimeProvider _time = new();
    private readonly ObjectCache<CodeExecution> _cache = new(CacheTrimming.TrimCodeExecution);
    private readonly ConcurrentQueue<(ChangeKind Kind, string Name)> _changes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ResourceWatcher<CodeExecution> _watcher;
    private Task? _running;

    public ResourceWatcherTests()
    {
        var options = new WatchOptions<CodeExecution> { Resource = CodeExecutions, LabelSelector = "team=a", Trim = CacheTrimming.TrimCodeExecution };
        _watcher = new ResourceWatcher<CodeExecution>(_api, CodeExecutions, options,
            new WatcherSettings(TimeSpan.FromMinutes(5), ListPageSize: 2,
                new ExponentialBackoffSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30))),
            _cache, Metrics, _time, NullLogger.Instance);
        _watcher.Subscribe(change => _changes.Enqueue((change.Kind, change.Entity.Metadata.Name)));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }

        _stop.Dispose();
    }

    private static string Execution(string name, string resourceVersion, string? stdout = null) =>
        $$$"""{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"name":"{{{name}}}","namespace":"a","resourceVersion":"{{{resourceVersion}}}","labels":{"team":"a"}},"spec":{"code":"print(1)"},"status":{"phase":"Succeeded","stdout":"{{{stdout ?? ""}}}"}}""";

    private static string List(string resourceVersion, string? continueToken, params string[] items) =>
        $$$"""{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecutionList","metadata":{"resourceVersion":"{{{resourceVersion}}}"{{{(continueToken is null ? "" : $",\"continue\":\"{continueToken}\"")}}}},"items":[{{{string.Join(",", items)}}}]}""";

    private static string Bookmark(string resourceVersion) =>
        $$$"""{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"resourceVersion":"{{{resourceVersion}}}"}}""";

    private const string Expired = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}""";

    private void Start() => _running = _watcher.RunAsync(_stop.Token);

    // Waits for a state the code under test reaches on its own threads; the bound only stops a broken test from hanging.
    private static Task WaitUntilAsync(Func<bool> condition) => Integration.EmulatedCluster.EventuallyAsync(condition);

    private async Task<ScriptedStreamSource.WatchStream> ListThenWatchAsync(string listVersion, params string[] items)
    {
        var list = await _api.NextAsync();
        Assert.False(list.IsWatch);
        list.RespondJson(List(listVersion, null, items));
        var watch = await _api.NextAsync();
        Assert.True(watch.IsWatch);
        Assert.Equal(listVersion, watch.Query["resourceVersion"]);
        return watch.OpenStream();
    }

    [Fact]
    public async Task Lists_page_by_page_with_the_selector_then_watches_from_the_list_version_with_bookmarks()
    {
        Start();

        var first = await _api.NextAsync();
        Assert.Equal("/apis/codeexec.dev/v1alpha1/codeexecutions", first.Path);
        Assert.Equal(("2", "team=a"), (first.Query["limit"], first.Query["labelSelector"]));
        Assert.False(_watcher.IsSynced);
        first.RespondJson(List("7", "page-2", Execution("one", "5"), Execution("two", "6")));

        var second = await _api.NextAsync();
        Assert.Equal("page-2", second.Query["continue"]);
        Assert.False(_watcher.IsSynced);
        second.RespondJson(List("9", null, Execution("three", "9")));

        var watch = await _api.NextAsync();
        Assert.True(_watcher.IsSynced);
        Assert.Equal(("true", "9", "team=a"), (watch.Query["allowWatchBookmarks"], watch.Query["resourceVersion"], watch.Query["labelSelector"]));
        Assert.InRange(int.Parse(watch.Query["timeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture), 300, 600);
        Assert.Equal(["one", "three", "two"], _cache.List().Select(e => e.Metadata.Name).Order());
    }

    [Fact]
    public async Task Watch_events_update_the_cache_and_reach_subscribers_with_outputs_trimmed()
    {
        Start();
        var stream = await ListThenWatchAsync("10", Execution("one", "10"));

        await stream.WriteEventAsync("ADDED", Execution("two", "11", stdout: new string('x', 10_000)));
        await stream.WriteEventAsync("MODIFIED", Execution("one", "12"));
        await stream.WriteEventAsync("DELETED", Execution("one", "13"));
        await WaitUntilAsync(() => _changes.Count == 4);

        Assert.Equal([(ChangeKind.Added, "one"), (ChangeKind.Added, "two"), (ChangeKind.Updated, "one"), (ChangeKind.Deleted, "one")], _changes.ToArray());
        Assert.Null(_cache.Find(new ObjectKey("a", "one")));
        Assert.Null(_cache.Find(new ObjectKey("a", "two"))!.Status!.Stdout);
        Assert.Equal("13", _watcher.ResourceVersion);
    }

    [Fact]
    public async Task A_dropped_watch_resumes_from_the_last_bookmark_without_listing_again()
    {
        Start();
        var stream = await ListThenWatchAsync("10");
        await stream.WriteEventAsync("ADDED", Execution("one", "11"));
        await stream.WriteEventAsync("BOOKMARK", Bookmark("15"));
        await WaitUntilAsync(() => _watcher.ResourceVersion == "15");
        await stream.CloseAsync();

        var next = await _api.NextAsync();

        Assert.True(next.IsWatch);
        Assert.Equal("15", next.Query["resourceVersion"]);
        Assert.Equal(1, _cache.Count);
    }

    [Fact]
    public async Task An_expired_event_in_the_stream_relists_and_the_relist_reports_deletions_it_missed()
    {
        Start();
        var stream = await ListThenWatchAsync("10", Execution("one", "10"), Execution("two", "10"));
        await stream.WriteEventAsync("ERROR", Expired);

        var relist = await _api.NextAsync();
        Assert.False(relist.IsWatch);
        relist.RespondJson(List("50", null, Execution("two", "40"), Execution("three", "45")));
        var watch = await _api.NextAsync();

        Assert.Equal("50", watch.Query["resourceVersion"]);
        Assert.Equal(["three", "two"], _cache.List().Select(e => e.Metadata.Name).Order());
        Assert.Contains((ChangeKind.Deleted, "one"), _changes);
        Assert.Contains((ChangeKind.Updated, "two"), _changes);
        Assert.Contains((ChangeKind.Added, "three"), _changes);
    }

    [Fact]
    public async Task An_HTTP_410_on_the_watch_request_relists()
    {
        Start();
        var list = await _api.NextAsync();
        list.RespondJson(List("10", null));
        var watch = await _api.NextAsync();
        watch.Fail(HttpStatusCode.Gone);

        var relist = await _api.NextAsync();

        Assert.False(relist.IsWatch);
    }

    [Fact]
    public async Task Errors_back_off_with_growing_jittered_delays_on_the_clock()
    {
        Start();
        (await _api.NextAsync()).Fail(new HttpRequestException("connection refused"));

        // First retry after 1 s to 1.5 s (base 1 s, jitter up to 50%), not before.
        var first = await _time.NextTimerAsync(atMost: TimeSpan.FromMinutes(1));
        Assert.InRange(first, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5));
        _time.Advance(first - TimeSpan.FromMilliseconds(1));
        Assert.False(_api.HasPending);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await _api.NextAsync()).Fail(HttpStatusCode.InternalServerError);

        // Second retry after 2 s to 3 s.
        var second = await _time.NextTimerAsync(atMost: TimeSpan.FromMinutes(1));
        Assert.InRange(second, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        _time.Advance(second);
        var third = await _api.NextAsync();

        Assert.False(third.IsWatch);
        Assert.False(_watcher.IsSynced);
    }

    [Fact]
    public async Task A_watch_the_server_closes_at_once_without_events_is_retried_with_backoff_not_hammered()
    {
        Start();
        var stream = await ListThenWatchAsync("10");
        await stream.CloseAsync();

        var backoff = await _time.NextTimerAsync(atMost: TimeSpan.FromMinutes(1));
        Assert.InRange(backoff, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5));
        Assert.False(_api.HasPending);
        _time.Advance(backoff);
        var again = await _api.NextAsync();

        Assert.True(again.IsWatch);
        Assert.Equal("10", again.Query["resourceVersion"]);
    }
}
