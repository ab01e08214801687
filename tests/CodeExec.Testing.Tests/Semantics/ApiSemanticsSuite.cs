using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace CodeExec.Testing.Tests.Semantics;

/// <summary>
/// The generic API semantics, written once and run against the emulator and the real CRD API server, on a custom
/// resource: errors, conflicts, generation, the status subresource, patches, server-side apply, finalizers, lists
/// and watches. Whatever the emulator claims here is what the real server does.
/// </summary>
public abstract class ApiSemanticsSuite<TTarget>(TTarget target) : IClassFixture<TTarget>
    where TTarget : ApiTarget
{
    private const string Collection = $"apis/{ApiTarget.Group}/{ApiTarget.Version}/namespaces/{ApiTarget.Namespace}/{ApiTarget.Plural}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private static JsonObject Widget(string name, int size = 1) => new()
    {
        ["apiVersion"] = $"{ApiTarget.Group}/{ApiTarget.Version}",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["size"] = size },
    };

    private async Task<JsonObject> CreateAsync(JsonObject widget)
    {
        var (status, body) = await target.SendAsync(HttpMethod.Post, Collection, widget, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Created, status);
        return (JsonObject)body!;
    }

    private async Task<(HttpStatusCode Status, JsonObject? Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json")
    {
        var (status, response) = await target.SendAsync(method, path, body, contentType, Ct);
        return (status, response as JsonObject);
    }

    private static string Rv(JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    private static long Generation(JsonObject obj) => obj["metadata"]!["generation"]!.GetValue<long>();

    private static void AssertStatus(JsonObject? body, int code, string reason)
    {
        Assert.NotNull(body);
        Assert.Equal("Status", body["kind"]!.GetValue<string>());
        Assert.Equal("Failure", body["status"]!.GetValue<string>());
        Assert.Equal(code, body["code"]!.GetValue<int>());
        Assert.Equal(reason, body["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_fills_system_metadata_and_schema_defaults_and_drops_status()
    {
        var widget = Widget(UniqueName("create"));
        widget["status"] = new JsonObject { ["phase"] = "Done" };
        widget["spec"]!["unknown"] = "pruned";

        var created = await CreateAsync(widget);

        Assert.False(string.IsNullOrEmpty(created["metadata"]!["uid"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(created["metadata"]!["creationTimestamp"]?.GetValue<string>()));
        Assert.Equal(1, Generation(created));
        Assert.Equal("blue", created["spec"]!["color"]!.GetValue<string>());
        Assert.Null(created["spec"]!["unknown"]);
        Assert.Null(created["status"]);
    }

    [Fact]
    public async Task Generate_name_gets_a_five_character_suffix()
    {
        var widget = Widget("ignored");
        widget["metadata"] = new JsonObject { ["generateName"] = "gen-" };

        var created = await CreateAsync(widget);

        Assert.Matches("^gen-[a-z0-9]{5}$", created["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_of_an_existing_name_is_409_already_exists_with_details()
    {
        var name = UniqueName("dup");
        await CreateAsync(Widget(name));

        var (status, body) = await SendAsync(HttpMethod.Post, Collection, Widget(name));

        Assert.Equal(HttpStatusCode.Conflict, status);
        AssertStatus(body, 409, "AlreadyExists");
        Assert.Equal(name, body!["details"]!["name"]!.GetValue<string>());
        Assert.Equal(ApiTarget.Group, body["details"]!["group"]!.GetValue<string>());
        Assert.Equal(ApiTarget.Plural, body["details"]!["kind"]!.GetValue<string>());
        Assert.Equal($"{ApiTarget.Plural}.{ApiTarget.Group} \"{name}\" already exists", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_of_a_missing_name_is_404_not_found_with_details()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, Collection + "/missing");

        Assert.Equal(HttpStatusCode.NotFound, status);
        AssertStatus(body, 404, "NotFound");
        Assert.Equal("missing", body!["details"]!["name"]!.GetValue<string>());
        Assert.Equal($"{ApiTarget.Plural}.{ApiTarget.Group} \"missing\" not found", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_409_conflict()
    {
        var name = UniqueName("stale");
        var created = await CreateAsync(Widget(name));
        var first = (JsonObject)created.DeepClone();
        first["spec"]!["size"] = 2;
        var (okStatus, _) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}", first);
        Assert.Equal(HttpStatusCode.OK, okStatus);

        var stale = (JsonObject)created.DeepClone();
        stale["spec"]!["size"] = 3;
        var (status, body) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}", stale);

        Assert.Equal(HttpStatusCode.Conflict, status);
        AssertStatus(body, 409, "Conflict");
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_of_a_custom_resource_without_resource_version_is_refused()
    {
        var name = UniqueName("norv");
        var created = await CreateAsync(Widget(name));
        ((JsonObject)created["metadata"]!).Remove("resourceVersion");

        var (status, body) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}", created);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        AssertStatus(body, 422, "Invalid");
    }

    [Fact]
    public async Task Resource_versions_grow_and_an_unchanged_update_keeps_its_resource_version()
    {
        var a = await CreateAsync(Widget(UniqueName("rva")));
        var b = await CreateAsync(Widget(UniqueName("rvb")));
        Assert.True(long.Parse(Rv(b), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(Rv(a), System.Globalization.CultureInfo.InvariantCulture));

        var (status, same) = await SendAsync(HttpMethod.Put, $"{Collection}/{b["metadata"]!["name"]}", b);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Rv(b), Rv(same!));
    }

    [Fact]
    public async Task Generation_moves_with_spec_changes_only()
    {
        var name = UniqueName("gen");
        var created = await CreateAsync(Widget(name));

        var labelled = (JsonObject)created.DeepClone();
        labelled["metadata"]!["labels"] = new JsonObject { ["a"] = "b" };
        var (_, afterLabel) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}", labelled);
        Assert.Equal(1, Generation(afterLabel!));

        var (_, afterStatus) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}/status",
            new JsonObject { ["status"] = new JsonObject { ["phase"] = "Running" } }, "application/merge-patch+json");
        Assert.Equal(1, Generation(afterStatus!));

        var (_, afterSpec) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["spec"] = new JsonObject { ["size"] = 5 } }, "application/merge-patch+json");
        Assert.Equal(2, Generation(afterSpec!));
    }

    [Fact]
    public async Task Status_subresource_ignores_spec_and_the_main_resource_ignores_status()
    {
        var name = UniqueName("split");
        var created = await CreateAsync(Widget(name));

        var both = (JsonObject)created.DeepClone();
        both["spec"]!["size"] = 9;
        both["status"] = new JsonObject { ["phase"] = "Running" };
        var (_, viaStatus) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}/status", both);
        Assert.Equal(1, viaStatus!["spec"]!["size"]!.GetValue<int>());
        Assert.Equal("Running", viaStatus["status"]!["phase"]!.GetValue<string>());

        var again = (JsonObject)viaStatus.DeepClone();
        again["spec"]!["size"] = 7;
        again["status"] = new JsonObject { ["phase"] = "Failed" };
        var (_, viaMain) = await SendAsync(HttpMethod.Put, $"{Collection}/{name}", again);
        Assert.Equal(7, viaMain!["spec"]!["size"]!.GetValue<int>());
        Assert.Equal("Running", viaMain["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task Merge_patch_sets_and_removes_fields()
    {
        var name = UniqueName("patch");
        await CreateAsync(Widget(name));

        var (mergeStatus, merged) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["spec"] = new JsonObject { ["color"] = null, ["tags"] = new JsonArray("x") } }, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, mergeStatus);
        Assert.Equal("blue", merged!["spec"]!["color"]!.GetValue<string>());
        Assert.Equal("x", merged["spec"]!["tags"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_carrying_a_stale_resource_version_is_409_conflict()
    {
        var name = UniqueName("patchrv");
        var created = await CreateAsync(Widget(name));
        await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}", new JsonObject { ["spec"] = new JsonObject { ["size"] = 2 } }, "application/merge-patch+json");

        var (status, body) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(created) }, ["spec"] = new JsonObject { ["size"] = 3 } },
            "application/merge-patch+json");

        Assert.Equal(HttpStatusCode.Conflict, status);
        AssertStatus(body, 409, "Conflict");
    }

    [Fact]
    public async Task Delete_with_a_finalizer_marks_the_object_and_removing_the_finalizer_deletes_it()
    {
        var name = UniqueName("fin");
        var widget = Widget(name);
        widget["metadata"]!["finalizers"] = new JsonArray("semantics.codeexec.dev/hold");
        await CreateAsync(widget);

        var (deleteStatus, marked) = await SendAsync(HttpMethod.Delete, $"{Collection}/{name}");
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.NotNull(marked!["metadata"]!["deletionTimestamp"]);
        Assert.Equal(2, Generation(marked));

        var (stillThere, current) = await SendAsync(HttpMethod.Get, $"{Collection}/{name}");
        Assert.Equal(HttpStatusCode.OK, stillThere);

        var (addStatus, refused) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = new JsonArray("semantics.codeexec.dev/hold", "another/one") } }, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, addStatus);
        AssertStatus(refused, 422, "Invalid");

        var (specStatus, _) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["spec"] = new JsonObject { ["size"] = 8 } }, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, specStatus);

        var (releaseStatus, _) = await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}",
            new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, releaseStatus);
        var (gone, _) = await SendAsync(HttpMethod.Get, $"{Collection}/{name}");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.NotNull(current);
    }

    [Fact]
    public async Task Delete_with_stale_uid_precondition_is_409_and_delete_answers_a_success_status()
    {
        var name = UniqueName("pre");
        var created = await CreateAsync(Widget(name));

        var (preconditionStatus, _) = await SendAsync(HttpMethod.Delete, $"{Collection}/{name}",
            new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["preconditions"] = new JsonObject { ["uid"] = Guid.NewGuid().ToString() } });
        Assert.Equal(HttpStatusCode.Conflict, preconditionStatus);

        var (deleteStatus, deleted) = await SendAsync(HttpMethod.Delete, $"{Collection}/{name}");
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.Equal("Status", deleted!["kind"]!.GetValue<string>());
        Assert.Equal("Success", deleted["status"]!.GetValue<string>());
        Assert.Equal(ApiTarget.Plural, deleted["details"]!["kind"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), deleted["details"]!["uid"]!.GetValue<string>());
        var (again, body) = await SendAsync(HttpMethod.Delete, $"{Collection}/{name}");
        Assert.Equal(HttpStatusCode.NotFound, again);
        AssertStatus(body, 404, "NotFound");
    }

    [Fact]
    public async Task List_filters_by_label_selector_and_pages_with_limit_and_continue()
    {
        var run = UniqueName("run");
        foreach (var (index, color) in new[] { (1, "red"), (2, "red"), (3, "green") })
        {
            var widget = Widget($"{run}-{index}");
            widget["metadata"]!["labels"] = new JsonObject { ["run"] = run, ["color"] = color };
            await CreateAsync(widget);
        }

        var (_, reds) = await SendAsync(HttpMethod.Get, $"{Collection}?labelSelector=run%3D{run},color%20in%20(red)");
        Assert.Equal([$"{run}-1", $"{run}-2"], Names(reds!));
        var (_, notRed) = await SendAsync(HttpMethod.Get, $"{Collection}?labelSelector=run%3D{run},color!%3Dred");
        Assert.Equal([$"{run}-3"], Names(notRed!));
        var (_, noColor) = await SendAsync(HttpMethod.Get, $"{Collection}?labelSelector=run%3D{run},!color");
        Assert.Empty(Names(noColor!));

        var (_, page1) = await SendAsync(HttpMethod.Get, $"{Collection}?labelSelector=run%3D{run}&limit=2");
        Assert.Equal(2, Names(page1!).Count);
        var token = page1!["metadata"]!["continue"]!.GetValue<string>();
        var (_, page2) = await SendAsync(HttpMethod.Get, $"{Collection}?labelSelector=run%3D{run}&limit=2&continue={Uri.EscapeDataString(token)}");
        Assert.Equal([$"{run}-3"], Names(page2!));
        Assert.True(string.IsNullOrEmpty(page2!["metadata"]!["continue"]?.GetValue<string>()));
    }

    [Fact]
    public async Task Field_selector_on_metadata_name_filters()
    {
        var name = UniqueName("field");
        await CreateAsync(Widget(name));
        await CreateAsync(Widget(UniqueName("other")));

        var (_, list) = await SendAsync(HttpMethod.Get, $"{Collection}?fieldSelector=metadata.name%3D{name}");
        Assert.Equal([name], Names(list!));
        var (status, _) = await SendAsync(HttpMethod.Get, $"{Collection}?fieldSelector=spec.size%3D1");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Watch_from_a_resource_version_streams_changes_in_order()
    {
        var name = UniqueName("watch");
        var (_, list) = await SendAsync(HttpMethod.Get, Collection);
        var from = Rv(list!);
        var created = await CreateAsync(Widget(name));
        await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}", new JsonObject { ["spec"] = new JsonObject { ["size"] = 2 } }, "application/merge-patch+json");
        await SendAsync(HttpMethod.Delete, $"{Collection}/{name}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var seen = new List<(string Type, long Rv)>();
        await foreach (var e in target.WatchAsync($"resourceVersion={from}&fieldSelector=metadata.name%3D{name}", timeout.Token))
        {
            seen.Add((e["type"]!.GetValue<string>(), long.Parse(Rv((JsonObject)e["object"]!), System.Globalization.CultureInfo.InvariantCulture)));
            if (seen.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], seen.Select(s => s.Type));
        Assert.True(seen[0].Rv == long.Parse(Rv(created), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(seen[0].Rv < seen[1].Rv && seen[1].Rv < seen[2].Rv);
    }

    [Fact]
    public async Task Label_selector_watch_sees_an_object_leave_as_deleted_and_come_back_as_added()
    {
        var name = UniqueName("sel");
        var widget = Widget(name);
        widget["metadata"]!["labels"] = new JsonObject { ["sel"] = name };
        var created = await CreateAsync(widget);
        await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["sel"] = "other" } } }, "application/merge-patch+json");
        await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}", new JsonObject { ["spec"] = new JsonObject { ["size"] = 3 } }, "application/merge-patch+json");
        await SendAsync(new HttpMethod("PATCH"), $"{Collection}/{name}", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["sel"] = name } } }, "application/merge-patch+json");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var types = new List<string>();
        await foreach (var e in target.WatchAsync($"resourceVersion={Rv(created)}&labelSelector=sel%3D{name}&timeoutSeconds=2", timeout.Token))
        {
            types.Add(e["type"]!.GetValue<string>());
        }

        Assert.Equal(["DELETED", "ADDED"], types);
    }

    [Fact]
    public async Task Watch_without_resource_version_replays_current_objects_then_marks_their_end_when_bookmarks_are_allowed()
    {
        var name = UniqueName("replay");
        await CreateAsync(Widget(name));

        async Task<List<string>> FirstEventsAsync(string query)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            var types = new List<string>();
            await foreach (var e in target.WatchAsync($"{query}&fieldSelector=metadata.name%3D{name}&timeoutSeconds=2", timeout.Token))
            {
                var type = e["type"]!.GetValue<string>();
                types.Add(type == "BOOKMARK" && e["object"]!["metadata"]!["annotations"]?["k8s.io/initial-events-end"] is not null ? "END" : type);
            }

            return types;
        }

        Assert.Equal(["ADDED", "END"], await FirstEventsAsync("allowWatchBookmarks=true"));
        Assert.Equal(["ADDED", "END"], await FirstEventsAsync("allowWatchBookmarks=true&resourceVersion=0"));
        Assert.Equal(["ADDED"], await FirstEventsAsync("resourceVersion=0"));
    }

    [Fact]
    public async Task Watch_from_an_expired_resource_version_gets_an_error_event_with_410()
    {
        var old = await CreateAsync(Widget(UniqueName("old")));
        await CreateAsync(Widget(UniqueName("newer")));
        var expired = await target.ExpiredResourceVersionAsync(Rv(old));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        JsonObject? first = null;
        await foreach (var e in target.WatchAsync($"resourceVersion={expired}", timeout.Token))
        {
            first = e;
            break;
        }

        Assert.NotNull(first);
        Assert.Equal("ERROR", first["type"]!.GetValue<string>());
        AssertStatus((JsonObject)first["object"]!, 410, "Expired");
    }

    private static List<string> Names(JsonObject list) =>
        [.. list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}

/// <summary>The suite against the emulator.</summary>
public sealed class EmulatorApiSemanticsTests(EmulatorTarget target) : ApiSemanticsSuite<EmulatorTarget>(target);

/// <summary>The suite against the real CRD API server.</summary>
public sealed class RealServerApiSemanticsTests(RealServerTarget target) : ApiSemanticsSuite<RealServerTarget>(target);
