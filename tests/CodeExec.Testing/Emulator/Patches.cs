using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>The three PATCH formats besides apply: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.</summary>
internal static class Patches
{
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatchYaml = "application/apply-patch+yaml";
    public const string ApplyPatchCbor = "application/apply-patch+cbor";

    /// <summary>patchStrategy=merge lists of the built-in kinds the operator patches, with their merge keys ("" for a primitive list).</summary>
    private static readonly Dictionary<string, string> StrategicMergeKeys = new()
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["imagePullSecrets"] = "name",
        ["volumeMounts"] = "mountPath",
        ["ports"] = "containerPort",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["hostAliases"] = "ip",
        ["finalizers"] = "",
    };

    public static JsonNode? ApplyMergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject is { } targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = ApplyMergePatch(result[key], value);
            }
        }

        return result;
    }

    public static JsonNode? ApplyJsonPatch(JsonNode? document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = ObjectMeta.GetString(operation, "op") ?? throw Invalid("missing op");
            var path = ObjectMeta.GetString(operation, "path") ?? throw Invalid("missing path");
            switch (op)
            {
                case "add":
                    Add(root, path, operation["value"]?.DeepClone());
                    break;
                case "remove":
                    Take(root, path);
                    break;
                case "replace":
                    Take(root, path);
                    Add(root, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                    var moved = Take(root, ObjectMeta.GetString(operation, "from") ?? throw Invalid("missing from"));
                    Add(root, path, moved);
                    break;
                case "copy":
                    var copied = Resolve(root, ObjectMeta.GetString(operation, "from") ?? throw Invalid("missing from"))?.DeepClone();
                    Add(root, path, copied);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(root, path), operation["value"]))
                    {
                        throw Invalid($"testing value {path} failed: test failed");
                    }

                    break;
                default:
                    throw Invalid($"Unexpected kind: {op}");
            }
        }

        var result = root["doc"];
        root.Remove("doc");
        return result;
    }

    /// <summary>Strategic merge patch for built-in kinds: merge-keyed lists, <c>$patch: replace|delete</c>, <c>$deleteFromPrimitiveList</c>.</summary>
    public static JsonObject ApplyStrategicMergePatch(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        StrategicMerge(result, patch);
        return result;
    }

    private static void StrategicMerge(JsonObject target, JsonObject patch)
    {
        if (ObjectMeta.GetString(patch, "$patch") == "replace")
        {
            foreach (var key in target.Select(p => p.Key).ToList())
            {
                target.Remove(key);
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray primitives && value is JsonArray toDelete)
                {
                    foreach (var item in primitives.Where(p => toDelete.Any(d => JsonNode.DeepEquals(d, p))).ToList())
                    {
                        primitives.Remove(item);
                    }
                }

                continue;
            }

            switch (target[key], value)
            {
                case (_, null):
                    target.Remove(key);
                    break;
                case (_, JsonObject directive) when ObjectMeta.GetString(directive, "$patch") == "delete":
                    target.Remove(key);
                    break;
                case (JsonObject existing, JsonObject incoming):
                    StrategicMerge(existing, incoming);
                    break;
                case (JsonArray existing, JsonArray incoming) when StrategicMergeKeys.TryGetValue(key, out var mergeKey):
                    MergeList(existing, incoming, mergeKey);
                    break;
                default:
                    target[key] = StripDirectives(value.DeepClone());
                    break;
            }
        }
    }

    private static void MergeList(JsonArray existing, JsonArray incoming, string mergeKey)
    {
        if (incoming.OfType<JsonObject>().Any(i => ObjectMeta.GetString(i, "$patch") == "replace"))
        {
            existing.Clear();
            foreach (var item in incoming.Where(i => i is not JsonObject o || ObjectMeta.GetString(o, "$patch") is null))
            {
                existing.Add(StripDirectives(item?.DeepClone()));
            }

            return;
        }

        foreach (var item in incoming)
        {
            if (mergeKey.Length == 0)
            {
                if (!existing.Any(e => JsonNode.DeepEquals(e, item)))
                {
                    existing.Add(item?.DeepClone());
                }

                continue;
            }

            if (item is not JsonObject incomingItem)
            {
                continue;
            }

            var match = existing.OfType<JsonObject>().FirstOrDefault(e => JsonNode.DeepEquals(e[mergeKey], incomingItem[mergeKey]));
            if (ObjectMeta.GetString(incomingItem, "$patch") == "delete")
            {
                if (match is not null)
                {
                    existing.Remove(match);
                }
            }
            else if (match is null)
            {
                existing.Add(StripDirectives(incomingItem.DeepClone()));
            }
            else
            {
                StrategicMerge(match, incomingItem);
            }
        }
    }

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).Where(k => k.StartsWith('$')).ToList())
            {
                obj.Remove(key);
            }

            foreach (var (_, child) in obj)
            {
                StripDirectives(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                StripDirectives(child);
            }
        }

        return node;
    }

    private static string[] Pointer(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw Invalid($"JSON pointer must start with '/': {path}");
        }

        return [.. path[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static JsonNode? Resolve(JsonObject root, string path)
    {
        JsonNode? node = root["doc"];
        foreach (var segment in Pointer(path))
        {
            node = node switch
            {
                JsonObject obj when obj.ContainsKey(segment) => obj[segment],
                JsonArray array when int.TryParse(segment, out var index) && index >= 0 && index < array.Count => array[index],
                _ => throw Invalid($"doc is missing path: \"{path}\": missing value"),
            };
        }

        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string path)
    {
        var segments = Pointer(path);
        if (segments.Length == 0)
        {
            return (root, "doc");
        }

        var parentPath = string.Concat(segments[..^1].Select(s => "/" + s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        var parent = Resolve(root, parentPath) ?? throw Invalid($"doc is missing path: \"{path}\": missing value");
        return (parent, segments[^1]);
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array when int.TryParse(last, out var index) && index >= 0 && index <= array.Count:
                array.Insert(index, value);
                break;
            default:
                throw Invalid($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode? Take(JsonObject root, string path)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                var value = obj[last];
                obj.Remove(last);
                return value;
            case JsonArray array when int.TryParse(last, out var index) && index >= 0 && index < array.Count:
                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw Invalid($"doc is missing path: \"{path}\": missing value");
        }
    }

    private static ApiStatusException Invalid(string message) => new(422, "Invalid", message);
}
