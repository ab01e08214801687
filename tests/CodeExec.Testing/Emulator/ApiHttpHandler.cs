using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// The HTTP face of the emulator: parses Kubernetes REST paths by hand (no routing tables, no reflection), applies
/// injected faults, serves discovery, get, list, watch, create, update, patch (JSON merge patch only),
/// delete, deletecollection, pods/log and pods/binding, and writes errors as <c>kind: Status</c>.
/// </summary>
internal sealed class ApiHttpHandler(ApiOperations operations, PodLogStore logs, EmulatorFaults faults, EmulatorOptions options, ApiAccessLog access)
{
    private static readonly byte[] EventPrefix = "{\"type\":\""u8.ToArray();
    private static readonly byte[] EventMiddle = "\",\"object\":"u8.ToArray();
    private static readonly byte[] EventSuffix = "}\n"u8.ToArray();

    private ResourceRegistry Registry => operations.Registry;

    private ObjectStore Store => operations.Store;

    private TimeProvider Time => options.TimeProvider;

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context);
        }
        catch (ApiStatusException error)
        {
            await WriteErrorAsync(context, error);
        }
        catch (JsonException error)
        {
            await WriteErrorAsync(context, ApiStatusException.BadRequest("the body of the request was in an unknown format: " + error.Message));
        }
        catch (YamlDotNet.Core.YamlException error)
        {
            await WriteErrorAsync(context, ApiStatusException.BadRequest("error decoding YAML: " + error.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments[0] is "version" or "healthz" or "readyz" or "livez")
        {
            await ServeInfoAsync(context, segments);
            return;
        }

        if (faults.Latency > TimeSpan.Zero)
        {
            await Task.Delay(faults.Latency, context.RequestAborted);
        }

        string group, version;
        string[] rest;
        if (segments[0] == "api")
        {
            if (segments.Length == 1)
            {
                await WriteJsonAsync(context, 200, Discovery.CoreVersions(context));
                return;
            }

            (group, version, rest) = ("", segments[1], segments[2..]);
        }
        else if (segments[0] == "apis")
        {
            if (segments.Length == 1)
            {
                await WriteJsonAsync(context, 200, Discovery.GroupList(Registry));
                return;
            }

            if (segments.Length == 2)
            {
                var apiGroup = Discovery.Group(Registry, segments[1]) ?? throw NotFoundPath();
                await WriteJsonAsync(context, 200, apiGroup);
                return;
            }

            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }
        else
        {
            throw NotFoundPath();
        }

        if (rest.Length == 0)
        {
            var resources = Discovery.ResourceList(Registry, group, version);
            if (resources is null)
            {
                throw NotFoundPath();
            }

            await WriteJsonAsync(context, 200, resources);
            return;
        }

        await ServeResourceAsync(context, group, version, rest);
    }

    private async Task ServeResourceAsync(HttpContext context, string group, string version, string[] rest)
    {
        if (group.Length == 0 && rest is ["namespaces", var bindingNamespace, "bindings"] && context.Request.Method == "POST")
        {
            access.Record(context.Request.Headers.UserAgent.ToString(), "", "pods/binding", "POST", named: true, watch: false, clusterWide: false);
            faults.Check("POST", "bindings");
            await BindAsync(context, Registry.Pods, bindingNamespace, null, new WriteContext(Manager(context), context.Request.Query["dryRun"].Count > 0));
            return;
        }

        ResourceType? type;
        string? @namespace = null, name, subresource;
        if (rest[0] == "namespaces" && rest.Length >= 3 && Registry.Find(group, version, rest[2]) is { Namespaced: true } namespacedType)
        {
            (type, @namespace, name, subresource) = (namespacedType, rest[1], rest.ElementAtOrDefault(3), rest.ElementAtOrDefault(4));
            if (rest.Length > 5)
            {
                throw NotFoundPath();
            }
        }
        else
        {
            type = Registry.Find(group, version, rest[0]);
            (name, subresource) = (rest.ElementAtOrDefault(1), rest.ElementAtOrDefault(2));
            if (type is null)
            {
                // A resource the emulator does not serve is still a request a real API server would authorize (and
                // might serve): it goes into the access log, so a client's use of it cannot go unseen.
                RecordUnserved(context, group, rest);
                throw NotFoundPath();
            }

            if (rest.Length > 3 || (type.Namespaced && name is not null))
            {
                throw NotFoundPath();
            }
        }

        var query = context.Request.Query;
        var method = context.Request.Method;
        var watch = method == "GET" && name is null && IsTrue(query["watch"]);
        access.Record(context.Request.Headers.UserAgent.ToString(), group, subresource is null ? type.Plural : type.Plural + "/" + subresource,
            method, named: name is not null, watch, clusterWide: !type.Namespaced || @namespace is null);
        faults.Check(watch ? "WATCH" : method, subresource is null ? type.Plural : type.Plural + "/" + subresource);

        if (subresource is not null && !IsServedSubresource(type, subresource, method))
        {
            throw NotFoundPath();
        }

        var write = new WriteContext(Manager(context), query["dryRun"].Count > 0);
        switch (method)
        {
            case "GET" when name is null && watch:
                await WatchAsync(context, type, @namespace);
                break;
            case "GET" when name is null:
                await ListAsync(context, type, @namespace);
                break;
            case "GET" when subresource == "log":
                await ServeLogAsync(context, @namespace!, name!);
                break;
            case "GET":
                var found = Store.Get(type.StorageKey, @namespace ?? "", name!) ?? throw ApiStatusException.NotFound(type, name!);
                await WriteObjectAsync(context, 200, found);
                break;
            case "POST" when subresource == "binding":
                await BindAsync(context, type, @namespace!, name!, write);
                break;
            case "POST" when name is null:
                var created = operations.Create(type, @namespace, await ReadObjectAsync(context), write);
                await WriteObjectAsync(context, 201, created);
                break;
            case "PUT" when name is not null:
                var updated = operations.Update(type, @namespace, name, await ReadObjectAsync(context), subresource, write);
                await WriteObjectAsync(context, 200, updated);
                break;
            case "PATCH" when name is not null:
                var patched = await PatchAsync(context, type, @namespace, name, subresource, write);
                await WriteObjectAsync(context, 200, patched);
                break;
            case "DELETE" when name is not null:
                await DeleteAsync(context, type, @namespace, name, write);
                break;
            case "DELETE":
                await DeleteCollectionAsync(context, type, @namespace, write);
                break;
            default:
                throw ApiStatusException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private static bool IsServedSubresource(ResourceType type, string subresource, string method) => (subresource, type.Group, type.Plural) switch
    {
        ("status", _, _) => type.HasStatus && method is "GET" or "PUT" or "PATCH",
        ("log", "", "pods") => method == "GET",
        ("binding", "", "pods") => method == "POST",
        _ => false,
    };

    private async Task ListAsync(HttpContext context, ResourceType type, string? @namespace)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], type);
        var limit = ParseLong(query["limit"]);
        var continueToken = (string?)query["continue"];
        var requestedRv = (string?)query["resourceVersion"];
        var match = (string?)query["resourceVersionMatch"];

        List<StoredObject> items;
        long listRv;
        string? startAfter = null;
        if (!string.IsNullOrEmpty(continueToken))
        {
            (listRv, startAfter) = ContinueToken.Decode(continueToken);
            if (listRv < Store.CompactedThrough)
            {
                throw ApiStatusException.Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            }

            items = Store.ListAt(type.StorageKey, @namespace, listRv);
        }
        else
        {
            if (match == "Exact")
            {
                // No product path lists at an exact resourceVersion: refused rather than answered with the current state.
                throw ApiStatusException.BadRequest("resourceVersionMatch=Exact is not emulated (see tests/CodeExec.Testing/Emulator/README.md)");
            }

            if (match is not (null or "" or "NotOlderThan"))
            {
                throw ApiStatusException.BadRequest($"unsupported resourceVersionMatch: {match}");
            }

            var notOlderThan = ParseResourceVersion(requestedRv);
            (items, listRv) = Store.List(type.StorageKey, @namespace);
            if (notOlderThan > listRv)
            {
                throw new ApiStatusException(504, "Timeout", $"Too large resource version: {notOlderThan}, current: {listRv}",
                    new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ResourceVersionTooLarge", ["message"] = "Too large resource version" }), ["retryAfterSeconds"] = 1 });
            }
        }

        var selected = items
            .Where(i => (labels is null || labels.Matches(i.Labels)) && (fields is null || fields.Matches(i.Object)))
            .OrderBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal)
            .Where(i => startAfter is null || string.CompareOrdinal(i.Namespace + "/" + i.Name, startAfter) > 0)
            .ToList();

        string? nextToken = null;
        long? remaining = null;
        if (limit is > 0 && selected.Count > limit)
        {
            var last = selected[(int)limit.Value - 1];
            nextToken = ContinueToken.Encode(listRv, last.Namespace + "/" + last.Name);
            remaining = selected.Count - limit.Value;
            selected = selected[..(int)limit.Value];
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", type.ListKind);
            writer.WriteString("apiVersion", type.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", listRv.ToString(CultureInfo.InvariantCulture));
            if (nextToken is not null)
            {
                writer.WriteString("continue", nextToken);
                if (labels is null && fields is null)
                {
                    // With a selector the API server cannot count what is left, and says nothing.
                    writer.WriteNumber("remainingItemCount", remaining!.Value);
                }
            }

            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in selected)
            {
                writer.WriteRawValue(item.Json, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await WriteBytesAsync(context, 200, buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private async Task WatchAsync(HttpContext context, ResourceType type, string? @namespace)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], type);
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        var requestedRv = (string?)query["resourceVersion"];
        if (IsTrue(query["sendInitialEvents"]))
        {
            // Streaming lists (WatchList) have no consumer here: refused rather than ignored.
            throw ApiStatusException.BadRequest("sendInitialEvents is not emulated (see tests/CodeExec.Testing/Emulator/README.md)");
        }

        var from = ParseResourceVersion(requestedRv);
        long? replayFrom = from is null or 0 ? null : from;
        var timeout = ParseLong(query["timeoutSeconds"]) is { } seconds ? TimeSpan.FromSeconds(seconds) : options.DefaultWatchTimeout;

        Watcher watcher;
        try
        {
            watcher = Store.OpenWatch(type.StorageKey, @namespace, labels, fields, replayFrom);
        }
        catch (ApiStatusException gone) when (gone.Code == 410)
        {
            // The API server answers 200 and sends the 410 as an ERROR event, then ends the watch.
            await StartStreamAsync(context);
            await WriteFrameAsync(context, new WatchFrame("ERROR", ObjectMeta.Serialize(gone.ToStatus())));
            return;
        }

        if (replayFrom is null && bookmarks)
        {
            // After the initial ADDED events (a watch from resourceVersion 0 or none), the API
            // server marks their end with a bookmark when bookmarks were asked for.
            Store.Bookmark(watcher, type, initialEventsEnd: true);
        }

        using var timeoutSource = new CancellationTokenSource(timeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeoutSource.Token);
        var bookmarkLoop = bookmarks ? SendBookmarksAsync(watcher, type, linked.Token) : Task.CompletedTask;
        try
        {
            await StartStreamAsync(context);
            var reader = watcher.Frames;
            while (await reader.WaitToReadAsync(linked.Token))
            {
                while (reader.TryRead(out var frame))
                {
                    WriteFrame(context, frame);
                }

                await context.Response.BodyWriter.FlushAsync(linked.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout, a closed watch, or the client went away: end the stream.
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // Closed by a fault or shutdown.
        }
        finally
        {
            Store.CloseWatch(watcher);
            await linked.CancelAsync();
            await bookmarkLoop;
        }
    }

    private async Task SendBookmarksAsync(Watcher watcher, ResourceType type, CancellationToken cancellation)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(options.BookmarkInterval, Time, cancellation);
                Store.Bookmark(watcher, type);
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    private async Task ServeLogAsync(HttpContext context, string @namespace, string name)
    {
        var pod = Store.Get(Registry.Pods.StorageKey, @namespace, name) ?? throw ApiStatusException.NotFound(Registry.Pods, name);
        var query = context.Request.Query;
        var containers = (pod.Object["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((pod.Object["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(c => ObjectMeta.GetString(c, "name") ?? "").ToList();
        var container = (string?)query["container"];
        if (string.IsNullOrEmpty(container))
        {
            var main = (pod.Object["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().Select(c => ObjectMeta.GetString(c, "name") ?? "").ToList();
            if (main.Count != 1)
            {
                throw ApiStatusException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", main)}]");
            }

            container = main[0];
        }
        else if (!containers.Contains(container))
        {
            throw ApiStatusException.BadRequest($"container {container} is not valid for pod {name}");
        }

        OutputStreamKind? stream = (string?)query["stream"] switch
        {
            null or "" or "All" => null,
            "Stdout" => OutputStreamKind.Stdout,
            "Stderr" => OutputStreamKind.Stderr,
            var other => throw ApiStatusException.BadRequest($"PodLogOptions \"{name}\" is invalid: stream: Unsupported value: \"{other}\": supported values: \"All\", \"Stderr\", \"Stdout\""),
        };
        var tailLines = ParseLong(query["tailLines"]);
        var limitBytes = ParseLong(query["limitBytes"]);
        if (stream is not null && tailLines is not null)
        {
            throw ApiStatusException.BadRequest($"PodLogOptions \"{name}\" is invalid: tailLines: Forbidden: tailLines is not supported when specific stream is set");
        }

        if (limitBytes is < 1)
        {
            throw ApiStatusException.BadRequest($"PodLogOptions \"{name}\" is invalid: limitBytes: Invalid value: {limitBytes}: must be greater than 0");
        }

        if (tailLines is < 0)
        {
            throw ApiStatusException.BadRequest($"PodLogOptions \"{name}\" is invalid: tailLines: Invalid value: {tailLines}: must be greater than or equal to 0");
        }

        if (!logs.HasContainer(@namespace, name, container) && !ContainerStarted(pod, container))
        {
            var waiting = ContainerWaitingReason(pod, container) ?? "ContainerCreating";
            throw ApiStatusException.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: {waiting}");
        }

        var bytes = logs.Read(@namespace, name, container, stream, limitBytes, tailLines is { } t ? (int)Math.Min(t, int.MaxValue) : null);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static JsonObject? ContainerStatus(StoredObject pod, string container) =>
        (pod.Object["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((pod.Object["status"]?["initContainerStatuses"] as JsonArray ?? []).OfType<JsonObject>())
            .FirstOrDefault(s => ObjectMeta.GetString(s, "name") == container);

    private static bool ContainerStarted(StoredObject pod, string container) =>
        ContainerStatus(pod, container)?["state"] is JsonObject state && (state["running"] is not null || state["terminated"] is not null);

    private static string? ContainerWaitingReason(StoredObject pod, string container) =>
        ObjectMeta.GetString(ContainerStatus(pod, container)?["state"]?["waiting"] as JsonObject, "reason");

    private async Task BindAsync(HttpContext context, ResourceType type, string @namespace, string? podName, WriteContext write)
    {
        var binding = await ReadObjectAsync(context);
        var name = podName ?? ObjectMeta.GetString(binding["metadata"] as JsonObject, "name")
            ?? throw ApiStatusException.BadRequest("a binding needs metadata.name: the pod to bind");
        var node = ObjectMeta.GetString(binding["target"] as JsonObject, "name");
        if (string.IsNullOrEmpty(node))
        {
            throw ApiStatusException.Invalid(type, name, ("target.name", "FieldValueRequired", "Required value"));
        }

        lock (Store.SyncRoot)
        {
            var pod = Store.Get(type.StorageKey, @namespace, name) ?? throw ApiStatusException.NotFound(type, name);
            if (ObjectMeta.GetString(pod.Object["spec"] as JsonObject, "nodeName") is { Length: > 0 } bound)
            {
                throw ApiStatusException.Conflict(type, name, $"pod {name} is already assigned to node \"{bound}\"");
            }

            if (pod.IsDeleting)
            {
                throw ApiStatusException.Conflict(type, name, $"pod {name} is being deleted, cannot be assigned to a host");
            }

            var next = pod.CloneObject();
            ((JsonObject)next["spec"]!)["nodeName"] = node;
            if (next["status"] is not JsonObject status)
            {
                status = [];
                next["status"] = status;
            }

            if (status["conditions"] is not JsonArray conditions)
            {
                conditions = [];
                status["conditions"] = conditions;
            }

            conditions.Add(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectMeta.Timestamp(Time.GetUtcNow()),
            });
            if (!write.DryRun)
            {
                Store.Put(type.StorageKey, next, pod);
            }
        }

        await WriteJsonAsync(context, 201, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["code"] = 201,
        });
    }

    private async Task<StoredObject> PatchAsync(HttpContext context, ResourceType type, string? @namespace, string name, string? subresource, WriteContext write)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (contentType != Patches.MergePatch)
        {
            // JSON patch, strategic merge patch and server-side apply are not emulated (no product path or test of
            // the product sends them): refused, never approximated.
            throw ApiStatusException.UnsupportedMediaType(
                $"the emulator serves only {Patches.MergePatch} patches; {(contentType.Length == 0 ? "no content type" : contentType)} is not emulated (see tests/CodeExec.Testing/Emulator/README.md)");
        }

        var patch = JsonNode.Parse(await ReadTextAsync(context));
        lock (Store.SyncRoot)
        {
            var current = Store.Get(type.StorageKey, @namespace ?? "", name) ?? throw ApiStatusException.NotFound(type, name);
            if (Patches.ApplyMergePatch(current.Object, patch) is not JsonObject next)
            {
                throw ApiStatusException.BadRequest("the patch did not produce an object");
            }

            var patchedRv = ObjectMeta.GetString(next["metadata"] as JsonObject, "resourceVersion");
            if (!string.IsNullOrEmpty(patchedRv) && patchedRv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiStatusException.StaleResourceVersion(type, name);
            }

            if (ObjectMeta.GetString(next["metadata"] as JsonObject, "name") != name)
            {
                throw ApiStatusException.BadRequest($"the name of the object ({ObjectMeta.GetString(next["metadata"] as JsonObject, "name")}) does not match the name on the URL ({name})");
            }

            next["apiVersion"] = type.ApiVersion;
            next["kind"] = type.Kind;
            return operations.Commit(type, current, next, subresource, write);
        }
    }

    private async Task DeleteAsync(HttpContext context, ResourceType type, string? @namespace, string name, WriteContext write)
    {
        var request = await ReadDeleteOptionsAsync(context);
        var result = operations.Delete(type, @namespace, name, request, write);
        if (!result.Removed || type.ReturnsDeletedObject)
        {
            await WriteObjectAsync(context, 200, result.Object);
            return;
        }

        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        details["uid"] = result.Object.Uid;
        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        });
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceType type, string? @namespace, WriteContext write)
    {
        var request = await ReadDeleteOptionsAsync(context);
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], type);
        var (items, _) = Store.List(type.StorageKey, @namespace);
        var deleted = new List<StoredObject>();
        foreach (var item in items.Where(i => (labels is null || labels.Matches(i.Labels)) && (fields is null || fields.Matches(i.Object))))
        {
            try
            {
                deleted.Add(operations.Delete(type, type.Namespaced ? item.Namespace : null, item.Name, request, write).Object);
            }
            catch (ApiStatusException notFound) when (notFound.Code == 404)
            {
                // Deleted meanwhile.
            }
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", type.ListKind);
            writer.WriteString("apiVersion", type.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", Store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in deleted)
            {
                writer.WriteRawValue(item.Json, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await WriteBytesAsync(context, 200, buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static async Task<DeleteRequest> ReadDeleteOptionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var text = await ReadTextAsync(context);
        var body = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
        var policy = ObjectMeta.GetString(body, "propagationPolicy") ?? (string?)query["propagationPolicy"];
        var orphan = body?["orphanDependents"] is JsonValue orphanValue && orphanValue.TryGetValue<bool>(out var o) ? o
            : bool.TryParse(query["orphanDependents"], out var q) ? q : (bool?)null;
        if (policy is null && orphan is { } orphanDependents)
        {
            policy = orphanDependents ? "Orphan" : "Background";
        }

        var grace = ObjectMeta.GetLong(body, "gracePeriodSeconds") ?? ParseLong(query["gracePeriodSeconds"]);
        var preconditions = body?["preconditions"] as JsonObject;
        return new DeleteRequest(policy, grace, ObjectMeta.GetString(preconditions, "uid"), ObjectMeta.GetString(preconditions, "resourceVersion"));
    }

    private async Task ServeInfoAsync(HttpContext context, string[] segments)
    {
        if (segments.Length == 0)
        {
            var paths = new JsonArray("/api", "/api/v1", "/apis", "/version", "/healthz");
            foreach (var type in Registry.All.Where(t => t.Group.Length > 0).Select(t => $"/apis/{t.Group}/{t.Version}").Distinct().Order(StringComparer.Ordinal))
            {
                paths.Add(type);
            }

            await WriteJsonAsync(context, 200, new JsonObject { ["paths"] = paths });
        }
        else if (segments[0] == "version")
        {
            await WriteJsonAsync(context, 200, Discovery.Version());
        }
        else
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("ok", context.RequestAborted);
        }
    }

    private static string Manager(HttpContext context)
    {
        if ((string?)context.Request.Query["fieldManager"] is { Length: > 0 } manager)
        {
            return manager;
        }

        var agent = context.Request.Headers.UserAgent.ToString();
        var slash = agent.IndexOf('/', StringComparison.Ordinal);
        var name = slash > 0 ? agent[..slash] : agent;
        return name.Length == 0 ? "unknown" : name;
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        var contentType = context.Request.ContentType ?? "";
        if (contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase) || contentType.Contains("cbor", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiStatusException.UnsupportedMediaType($"the emulator reads JSON and YAML bodies only, not {contentType}");
        }

        var text = await ReadTextAsync(context);
        var node = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? YamlJson.ParseJsonOrYaml(text) : JsonNode.Parse(text);
        return node as JsonObject ?? throw ApiStatusException.BadRequest("the body of the request must be an object");
    }

    private static async Task<string> ReadTextAsync(HttpContext context)
    {
        return await RequestLimits.ReadBodyAsync(context.Request.Body, context.RequestAborted);
    }

    /// <summary>Sends the watch response's headers at once (clients wait for them before they read events).</summary>
    private static async Task StartStreamAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteFrame(HttpContext context, WatchFrame frame)
    {
        var writer = context.Response.BodyWriter;
        writer.Write(EventPrefix);
        writer.Write(frame.Type switch
        {
            "ADDED" => "ADDED"u8,
            "MODIFIED" => "MODIFIED"u8,
            "DELETED" => "DELETED"u8,
            "BOOKMARK" => "BOOKMARK"u8,
            _ => Encoding.UTF8.GetBytes(frame.Type),
        });
        writer.Write(EventMiddle);
        writer.Write(frame.ObjectJson);
        writer.Write(EventSuffix);
    }

    private static async Task WriteFrameAsync(HttpContext context, WatchFrame frame)
    {
        WriteFrame(context, frame);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static Task WriteObjectAsync(HttpContext context, int status, StoredObject stored) => WriteBytesAsync(context, status, stored.Json);

    private static Task WriteJsonAsync(HttpContext context, int status, JsonNode body) =>
        WriteBytesAsync(context, status, ObjectMeta.Serialize(body));

    private static async Task WriteBytesAsync(HttpContext context, int status, ReadOnlyMemory<byte> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static async Task WriteErrorAsync(HttpContext context, ApiStatusException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        if (error.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await WriteJsonAsync(context, error.Code, error.ToStatus());
    }

    /// <summary>Records a request for a resource the emulator does not serve, in RBAC's terms read from its path alone.</summary>
    private void RecordUnserved(HttpContext context, string group, string[] rest)
    {
        var namespaced = rest is ["namespaces", _, _, ..];
        var path = namespaced ? rest[2..] : rest;
        var resource = path.Length >= 3 ? path[0] + "/" + path[2] : path[0];
        access.Record(context.Request.Headers.UserAgent.ToString(), group, resource, context.Request.Method, named: path.Length >= 2,
            watch: context.Request.Method == "GET" && path.Length == 1 && IsTrue(context.Request.Query["watch"]), clusterWide: !namespaced);
    }

    private static ApiStatusException NotFoundPath() =>
        new(404, "NotFound", "the server could not find the requested resource", []);

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static long? ParseLong(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static long? ParseResourceVersion(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rv)
            ? rv
            : throw ApiStatusException.BadRequest($"invalid resource version: {value}");
    }
}
