using CodeExec.Api;
using CodeExec.Operator.Controller.Watching;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Watching;

public sealed class WatchEventLineTests
{
    [Fact]
    public void An_added_pod_is_parsed_with_its_resource_version()
    {
        var line = """{"type":"ADDED","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"a","resourceVersion":"17"},"status":{"phase":"Running"}}}""";

        var parsed = WatchEventLine<V1Pod>.Parse(line);

        Assert.Equal(WatchEventKind.Added, parsed.Kind);
        Assert.Equal("17", parsed.ResourceVersion);
        Assert.Equal("Running", parsed.Entity!.Status.Phase);
        Assert.False(parsed.IsExpired);
    }

    [Theory]
    [InlineData("MODIFIED", "Modified")]
    [InlineData("DELETED", "Deleted")]
    public void Modified_and_deleted_custom_objects_are_parsed(string type, string kind)
    {
        var line = "{\"type\":\"" + type + "\",\"object\":" + """{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"name":"hello","namespace":"a","resourceVersion":"5"},"spec":{"runtime":"python","code":"print(1)"},"status":{"phase":"Running"}}}""";

        var parsed = WatchEventLine<CodeExecution>.Parse(line);

        Assert.Equal(kind, parsed.Kind.ToString());
        Assert.Equal("python", parsed.Entity!.Spec.Runtime);
        Assert.Equal(ExecutionPhase.Running, parsed.Entity.Status!.Phase);
    }

    [Fact]
    public void A_bookmark_carries_only_a_resource_version()
    {
        var line = """{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12345","annotations":{"k8s.io/initial-events-end":"true"}}}}""";

        var parsed = WatchEventLine<V1Pod>.Parse(line);

        Assert.Equal(WatchEventKind.Bookmark, parsed.Kind);
        Assert.Equal("12345", parsed.ResourceVersion);
        Assert.Null(parsed.Entity);
    }

    [Fact]
    public void An_error_410_is_an_expired_resource_version()
    {
        var line = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}}""";

        var parsed = WatchEventLine<V1Pod>.Parse(line);

        Assert.Equal(WatchEventKind.Error, parsed.Kind);
        Assert.True(parsed.IsExpired);
        Assert.Equal("Expired", parsed.Status!.Reason);
    }

    [Fact]
    public void Another_error_is_not_an_expiry()
    {
        var line = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"InternalError","code":500}}""";

        Assert.False(WatchEventLine<V1Pod>.Parse(line).IsExpired);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"object":{}}""")]
    [InlineData("""{"type":"ADDED"}""")]
    [InlineData("""{"type":"SURPRISE","object":{}}""")]
    public void A_line_that_is_not_a_watch_event_is_a_format_error(string line)
    {
        Assert.Throws<FormatException>(() => WatchEventLine<V1Pod>.Parse(line));
    }
}
