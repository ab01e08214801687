using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>How a list is merged and owned: as a whole, as a set of scalars, or as a map keyed by some item fields.</summary>
internal readonly record struct ListShape(string Kind, string[] Keys)
{
    public static readonly ListShape Atomic = new("atomic", []);
    public static readonly ListShape Set = new("set", []);

    public static ListShape Map(params string[] keys) => new("map", keys);
}

/// <summary>
/// A simplified but honest field manager: it tracks which manager owns which fields in <c>metadata.managedFields</c>
/// (FieldsV1 format), moves ownership on updates, and implements server-side apply: conflicts with other managers
/// (409 unless force), removal of fields a manager stopped applying, and merging of maps, keyed lists and sets.
/// </summary>
internal static class ManagedFields
{
    private const char Separator = '\u001f';
    private static readonly string[] StrippedMetadata =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
         "deletionTimestamp", "deletionGracePeriodSeconds"];

    private static readonly Dictionary<string, ListShape> BuiltinLists = new()
    {
        ["containers"] = ListShape.Map("name"),
        ["initContainers"] = ListShape.Map("name"),
        ["ephemeralContainers"] = ListShape.Map("name"),
        ["volumes"] = ListShape.Map("name"),
        ["env"] = ListShape.Map("name"),
        ["imagePullSecrets"] = ListShape.Map("name"),
        ["volumeMounts"] = ListShape.Map("mountPath"),
        ["ports"] = ListShape.Map("containerPort"),
        ["conditions"] = ListShape.Map("type"),
        ["ownerReferences"] = ListShape.Map("uid"),
        ["finalizers"] = ListShape.Set,
        ["hostAliases"] = ListShape.Map("ip"),
        ["containerStatuses"] = ListShape.Map("name"),
        ["initContainerStatuses"] = ListShape.Map("name"),
    };

    /// <summary>Records an Update by <paramref name="manager"/>: it now owns the fields it changed; no one owns removed fields.</summary>
    public static void RecordUpdate(JsonObject next, JsonObject? previous, string manager, string apiVersion, DateTimeOffset now, string? subresource, JsonObject? schema = null)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        if (previous is null)
        {
            changed.UnionWith(Flatten(next, schema).Keys);
        }
        else
        {
            Diff(next, previous, schema, changed, removed);
        }

        if (changed.Count == 0 && removed.Count == 0)
        {
            return;
        }

        var entries = ReadEntries(previous ?? next);
        foreach (var entry in entries)
        {
            entry.Fields.ExceptWith(changed);
            entry.Fields.ExceptWith(removed);
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
        if (mine is null)
        {
            mine = new Entry(manager, "Update", apiVersion, subresource, []);
            entries.Add(mine);
        }

        mine.Fields.UnionWith(changed);
        mine.Time = now;
        WriteEntries(next, entries);
    }

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> onto <paramref name="live"/> (null: the object does not exist yet).
    /// Returns the merged object with its managedFields; throws 409 Conflict listing the conflicting fields unless forced.
    /// </summary>
    public static JsonObject Apply(JsonObject? live, JsonObject applied, string manager, bool force, ResourceType type, string? subresource, DateTimeOffset now)
    {
        var schema = type.Schema;
        var appliedLeaves = Flatten(applied, schema);
        if (type.SplitsStatus)
        {
            var statusPrefix = "f:status";
            foreach (var key in appliedLeaves.Keys.Where(k => (k == statusPrefix || k.StartsWith(statusPrefix + Separator, StringComparison.Ordinal)) != (subresource == "status")).ToList())
            {
                appliedLeaves.Remove(key);
            }
        }

        var result = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        var liveLeaves = live is null ? [] : Flatten(live, schema);
        var entries = live is null ? [] : ReadEntries(live);
        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);

        var conflicts = new List<(string Manager, string ApiVersion, string Path)>();
        foreach (var other in entries.Where(e => e != mine))
        {
            foreach (var path in other.Fields.Where(f => appliedLeaves.TryGetValue(f, out var value)
                && liveLeaves.TryGetValue(f, out var current) && current != value))
            {
                conflicts.Add((other.Manager, other.ApiVersion, path));
            }
        }

        if (conflicts.Count > 0)
        {
            if (!force)
            {
                throw ConflictError(type, ObjectMeta.GetString(live?["metadata"] as JsonObject, "name") ?? "", conflicts);
            }

            foreach (var other in entries.Where(e => e != mine))
            {
                other.Fields.ExceptWith(conflicts.Select(c => c.Path));
            }
        }

        if (mine is not null)
        {
            var ownedByOthers = entries.Where(e => e != mine).SelectMany(e => e.Fields).ToHashSet();
            var dropped = mine.Fields.Where(f => !appliedLeaves.ContainsKey(f) && !ownedByOthers.Contains(f)).ToList();
            var mapMarkers = dropped.Where(IsMapMarker).ToList();

            // Whole list items first (their own "." entry), then fields; a map goes last, and only when nothing is left in it.
            foreach (var path in dropped.Except(mapMarkers).OrderBy(p => p.Length))
            {
                RemovePath(result, path.Split(Separator));
            }

            foreach (var path in mapMarkers.OrderByDescending(p => p.Length))
            {
                var segments = path.Split(Separator)[..^1];
                if (Resolve(result, segments) is JsonObject { Count: 0 })
                {
                    RemovePath(result, segments);
                }
            }
        }
        else
        {
            mine = new Entry(manager, "Apply", type.ApiVersion, subresource, []);
            entries.Add(mine);
        }

        var toMerge = (JsonObject)applied.DeepClone();
        if (type.SplitsStatus)
        {
            if (subresource == "status")
            {
                foreach (var key in toMerge.Select(p => p.Key).Where(k => k is not ("status" or "apiVersion" or "kind" or "metadata")).ToList())
                {
                    toMerge.Remove(key);
                }
            }
            else
            {
                toMerge.Remove("status");
            }
        }

        if (toMerge["metadata"] is JsonObject appliedMetadata)
        {
            foreach (var field in StrippedMetadata.Where(f => f is not ("name" or "namespace")))
            {
                appliedMetadata.Remove(field);
            }
        }

        Merge(result, toMerge, [], schema);
        mine.Fields.Clear();
        mine.Fields.UnionWith(appliedLeaves.Keys);
        mine.ApiVersion = type.ApiVersion;
        mine.Time = now;
        entries.RemoveAll(e => e.Fields.Count == 0 && e != mine);
        WriteEntries(result, entries);
        return result;
    }

    private static ApiStatusException ConflictError(ResourceType type, string name, List<(string Manager, string ApiVersion, string Path)> conflicts)
    {
        var causes = new JsonArray();
        foreach (var (manager, apiVersion, path) in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{manager}\" using {apiVersion}",
                ["field"] = DisplayPath(path),
            });
        }

        var list = string.Join("\n", conflicts.Select(c => $"- conflict with \"{c.Manager}\" using {c.ApiVersion}: {DisplayPath(c.Path)}"));
        var message = conflicts.Count == 1
            ? $"Apply failed with 1 conflict: conflict with \"{conflicts[0].Manager}\" using {conflicts[0].ApiVersion}: {DisplayPath(conflicts[0].Path)}"
            : $"Apply failed with {conflicts.Count} conflicts: {list}";
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        details["causes"] = causes;
        return new ApiStatusException(409, "Conflict", message, details);
    }

    private static string DisplayPath(string path) =>
        string.Concat(path.Split(Separator).Where(s => s != ".").Select(s => s.StartsWith("f:", StringComparison.Ordinal) ? "." + s[2..] : "[" + s[2..] + "]"));

    /// <summary>
    /// The owned paths that differ between two versions, found by walking only the members that changed (the common
    /// case, a status or one-field update, touches a small part of a large object).
    /// </summary>
    private static void Diff(JsonObject next, JsonObject previous, JsonObject? schema, HashSet<string> changed, HashSet<string> removed)
    {
        foreach (var key in next.Select(p => p.Key).Union(previous.Select(p => p.Key)))
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            var a = next[key];
            var b = previous[key];
            if (JsonNode.DeepEquals(a, b))
            {
                continue;
            }

            if (key == "metadata" && a is JsonObject metaNext && b is JsonObject metaPrevious)
            {
                foreach (var metaKey in metaNext.Select(p => p.Key).Union(metaPrevious.Select(p => p.Key)).Where(k => !StrippedMetadata.Contains(k)))
                {
                    if (!JsonNode.DeepEquals(metaNext[metaKey], metaPrevious[metaKey]))
                    {
                        DiffValue(metaNext[metaKey], metaPrevious[metaKey], metaNext.ContainsKey(metaKey), metaPrevious.ContainsKey(metaKey),
                            "f:metadata" + Separator + "f:" + metaKey, ["metadata", metaKey], null, changed, removed);
                    }
                }

                continue;
            }

            DiffValue(a, b, next.ContainsKey(key), previous.ContainsKey(key), "f:" + key, [key], schema?["properties"]?[key] as JsonObject, changed, removed);
        }
    }

    private static void DiffValue(JsonNode? a, JsonNode? b, bool inNext, bool inPrevious, string path, List<string> fieldPath, JsonObject? schema,
        HashSet<string> changed, HashSet<string> removed)
    {
        if (a is JsonObject objectA && b is JsonObject objectB && objectA.Count > 0 && objectB.Count > 0)
        {
            foreach (var key in objectA.Select(p => p.Key).Union(objectB.Select(p => p.Key)))
            {
                if (!JsonNode.DeepEquals(objectA[key], objectB[key]))
                {
                    var childSchema = schema?["properties"]?[key] as JsonObject ?? schema?["additionalProperties"] as JsonObject;
                    DiffValue(objectA[key], objectB[key], objectA.ContainsKey(key), objectB.ContainsKey(key),
                        path + Separator + "f:" + key, [.. fieldPath, key], childSchema, changed, removed);
                }
            }

            return;
        }

        var after = new Dictionary<string, string>(StringComparer.Ordinal);
        var before = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inNext)
        {
            FlattenValue(a, path, fieldPath, schema, after);
        }

        if (inPrevious)
        {
            FlattenValue(b, path, fieldPath, schema, before);
        }

        changed.UnionWith(after.Where(p => !before.TryGetValue(p.Key, out var old) || old != p.Value).Select(p => p.Key));
        removed.UnionWith(before.Keys.Where(k => !after.ContainsKey(k)));
    }

    /// <summary>Every owned leaf of an object, as path to JSON value; system metadata, apiVersion and kind are left out.</summary>
    internal static Dictionary<string, string> Flatten(JsonObject obj, JsonObject? schema)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject metadata)
            {
                foreach (var (metaKey, metaValue) in metadata)
                {
                    if (!StrippedMetadata.Contains(metaKey))
                    {
                        FlattenValue(metaValue, "f:metadata" + Separator + "f:" + metaKey, ["metadata", metaKey], null, result);
                    }
                }

                continue;
            }

            FlattenValue(value, "f:" + key, [key], schema?["properties"]?[key] as JsonObject, result);
        }

        return result;
    }

    private static void FlattenValue(JsonNode? value, string path, List<string> fieldPath, JsonObject? schema, Dictionary<string, string> result)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } obj:
                if (!path.EndsWith(Separator + ".", StringComparison.Ordinal) && fieldPath.Count > 0 && !IsListItem(path))
                {
                    result[path + Separator + "."] = "";
                }

                foreach (var (key, child) in obj)
                {
                    var childSchema = schema?["properties"]?[key] as JsonObject ?? schema?["additionalProperties"] as JsonObject;
                    FlattenValue(child, path + Separator + "f:" + key, [.. fieldPath, key], childSchema, result);
                }

                break;
            case JsonArray array:
                var shape = ShapeOf(fieldPath, schema);
                if (shape.Kind == "atomic" || array.Count == 0)
                {
                    result[path] = array.ToJsonString();
                    break;
                }

                foreach (var item in array)
                {
                    if (shape.Kind == "set")
                    {
                        result[path + Separator + "v:" + (item?.ToJsonString() ?? "null")] = "";
                    }
                    else if (item is JsonObject itemObject)
                    {
                        var itemPath = path + Separator + ItemKey(itemObject, shape.Keys);
                        result[itemPath + Separator + "."] = "";
                        FlattenValue(itemObject, itemPath, fieldPath, schema?["items"] as JsonObject, result);
                    }
                }

                break;
            default:
                result[path] = value?.ToJsonString() ?? "null";
                break;
        }
    }

    /// <summary>True for the path of a keyed list item (its "." entry is written by the list code).</summary>
    private static bool IsListItem(string path) => path[(path.LastIndexOf(Separator) + 1)..].StartsWith("k:", StringComparison.Ordinal);

    private static ListShape ShapeOf(List<string> fieldPath, JsonObject? schema)
    {
        if (schema?["x-kubernetes-list-type"]?.GetValue<string>() is { } listType)
        {
            return listType switch
            {
                "map" => ListShape.Map([.. (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k!.GetValue<string>())]),
                "set" => ListShape.Set,
                _ => ListShape.Atomic,
            };
        }

        if (schema is not null && fieldPath[0] != "metadata")
        {
            return ListShape.Atomic;
        }

        return BuiltinLists.TryGetValue(fieldPath[^1], out var shape) ? shape : ListShape.Atomic;
    }

    private static string ItemKey(JsonObject item, string[] keys)
    {
        var key = new JsonObject();
        foreach (var name in keys.Order(StringComparer.Ordinal))
        {
            key[name] = item[name]?.DeepClone();
        }

        return "k:" + key.ToJsonString();
    }

    private static void Merge(JsonObject target, JsonObject source, List<string> fieldPath, JsonObject? schema)
    {
        foreach (var (key, value) in source)
        {
            var childSchema = fieldPath.Count == 0 ? schema?["properties"]?[key] as JsonObject
                : schema?["properties"]?[key] as JsonObject ?? schema?["additionalProperties"] as JsonObject;
            List<string> childPath = [.. fieldPath, key];
            switch (target[key], value)
            {
                case (_, null):
                    target.Remove(key);
                    break;
                case (JsonObject existing, JsonObject incoming):
                    Merge(existing, incoming, childPath, childSchema);
                    break;
                case (JsonArray existing, JsonArray incoming):
                    target[key] = MergeList(existing, incoming, ShapeOf(childPath, childSchema), childPath, childSchema?["items"] as JsonObject);
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
    }

    private static JsonArray MergeList(JsonArray existing, JsonArray incoming, ListShape shape, List<string> fieldPath, JsonObject? itemSchema)
    {
        if (shape.Kind == "atomic")
        {
            return (JsonArray)incoming.DeepClone();
        }

        var result = (JsonArray)existing.DeepClone();
        foreach (var item in incoming)
        {
            if (shape.Kind == "set")
            {
                if (!result.Any(r => JsonNode.DeepEquals(r, item)))
                {
                    result.Add(item?.DeepClone());
                }

                continue;
            }

            if (item is not JsonObject incomingItem)
            {
                continue;
            }

            var key = ItemKey(incomingItem, shape.Keys);
            var match = result.OfType<JsonObject>().FirstOrDefault(r => ItemKey(r, shape.Keys) == key);
            if (match is null)
            {
                result.Add(incomingItem.DeepClone());
            }
            else
            {
                Merge(match, incomingItem, fieldPath, itemSchema);
            }
        }

        return result;
    }

    private static bool IsMapMarker(string path) =>
        path.EndsWith(Separator + ".", StringComparison.Ordinal) && !IsListItem(path[..^2]);

    private static JsonNode? Resolve(JsonNode? node, string[] segments)
    {
        foreach (var segment in segments)
        {
            node = (segment[..2], node) switch
            {
                ("f:", JsonObject obj) => obj[segment[2..]],
                ("k:", JsonArray list) => list.OfType<JsonObject>().FirstOrDefault(r => "k:" + KeyOf(r, segment) == segment),
                _ => null,
            };
        }

        return node;
    }

    private static void RemovePath(JsonNode? node, string[] segments)
    {
        JsonObject? parent = null;
        string? parentKey = null;
        for (var i = 0; i < segments.Length && node is not null; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1 || (i == segments.Length - 2 && segments[^1] == ".");
            switch (segment[..2], node)
            {
                case ("f:", JsonObject obj):
                    if (last && i == segments.Length - 1)
                    {
                        obj.Remove(segment[2..]);
                        return;
                    }

                    (parent, parentKey) = (obj, segment[2..]);
                    node = obj[segment[2..]];
                    break;
                case ("v:", JsonArray array):
                    var value = JsonNode.Parse(segment[2..]);
                    var found = array.FirstOrDefault(a => JsonNode.DeepEquals(a, value));
                    if (found is not null)
                    {
                        array.Remove(found);
                        RemoveIfEmpty(array, parent, parentKey);
                    }

                    return;
                case ("k:", JsonArray list):
                    var item = list.OfType<JsonObject>().FirstOrDefault(r => "k:" + KeyOf(r, segment) == segment);
                    if (item is null)
                    {
                        return;
                    }

                    if (last)
                    {
                        list.Remove(item);
                        RemoveIfEmpty(list, parent, parentKey);
                        return;
                    }

                    node = item;
                    break;
                default:
                    return;
            }
        }
    }

    /// <summary>A list whose last item a manager gave up is removed, as structured-merge-diff does.</summary>
    private static void RemoveIfEmpty(JsonArray list, JsonObject? parent, string? key)
    {
        if (list.Count == 0 && parent is not null && key is not null)
        {
            parent.Remove(key);
        }
    }

    private static string KeyOf(JsonObject item, string segment)
    {
        var keys = JsonNode.Parse(segment[2..]) as JsonObject ?? [];
        return ItemKey(item, [.. keys.Select(k => k.Key)])[2..];
    }

    private sealed class Entry(string manager, string operation, string apiVersion, string? subresource, HashSet<string> fields)
    {
        public string Manager { get; } = manager;
        public string Operation { get; } = operation;
        public string ApiVersion { get; set; } = apiVersion;
        public string? Subresource { get; } = subresource;
        public HashSet<string> Fields { get; } = fields;
        public DateTimeOffset? Time { get; set; }
        public string? TimeText { get; init; }

        public Entry Copy() => new(Manager, Operation, ApiVersion, Subresource, new HashSet<string>(Fields, StringComparer.Ordinal)) { Time = Time, TimeText = TimeText };
    }

    /// <summary>Parsed entries of stored managedFields arrays (stored objects never change), so updates skip re-parsing.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonArray, List<Entry>> ParsedEntries = new();

    private static List<Entry> ReadEntries(JsonObject obj)
    {
        if (obj["metadata"]?["managedFields"] is JsonArray array && ParsedEntries.TryGetValue(array, out var parsed))
        {
            return [.. parsed.Select(e => e.Copy())];
        }

        var result = new List<Entry>();
        foreach (var item in (obj["metadata"]?["managedFields"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var fields = new HashSet<string>(StringComparer.Ordinal);
            if (item["fieldsV1"] is JsonObject tree)
            {
                CollectPaths(tree, "", fields);
            }

            result.Add(new Entry(
                ObjectMeta.GetString(item, "manager") ?? "",
                ObjectMeta.GetString(item, "operation") ?? "Update",
                ObjectMeta.GetString(item, "apiVersion") ?? "",
                ObjectMeta.GetString(item, "subresource"),
                fields)
            { TimeText = ObjectMeta.GetString(item, "time") });
        }

        return result;
    }

    private static void CollectPaths(JsonObject tree, string prefix, HashSet<string> into)
    {
        foreach (var (key, child) in tree)
        {
            var path = prefix.Length == 0 ? key : prefix + Separator + key;
            if (child is JsonObject { Count: > 0 } nested)
            {
                CollectPaths(nested, path, into);
            }
            else
            {
                into.Add(path);
            }
        }
    }

    private static void WriteEntries(JsonObject obj, List<Entry> entries)
    {
        var metadata = ObjectMeta.Metadata(obj);
        var list = new JsonArray();
        foreach (var entry in entries.Where(e => e.Fields.Count > 0))
        {
            var tree = new JsonObject();
            foreach (var path in entry.Fields.Order(StringComparer.Ordinal))
            {
                var node = tree;
                foreach (var segment in path.Split(Separator))
                {
                    if (node[segment] is not JsonObject next)
                    {
                        next = [];
                        node[segment] = next;
                    }

                    node = next;
                }
            }

            var item = new JsonObject
            {
                ["manager"] = entry.Manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = entry.ApiVersion,
                ["time"] = entry.Time is { } time ? ObjectMeta.Timestamp(time) : entry.TimeText,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = tree,
            };
            if (entry.Subresource is not null)
            {
                item["subresource"] = entry.Subresource;
            }

            list.Add(item);
        }

        if (list.Count == 0)
        {
            metadata.Remove("managedFields");
        }
        else
        {
            metadata["managedFields"] = list;
            ParsedEntries.AddOrUpdate(list, [.. entries.Where(e => e.Fields.Count > 0).Select(e => e.Copy())]);
        }
    }
}
