using System.Globalization;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>Small helpers over the JSON of an object's metadata.</summary>
internal static class ObjectMeta
{
    /// <summary>Serializer options matching the API server's output: quotes escaped as \", not \u0022.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize(JsonNode node) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(node, Json);

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    /// <summary>Puts apiVersion, kind and metadata first, as the API server serializes objects.</summary>
    public static void OrderTypeMetaFirst(JsonObject obj)
    {
        if (obj.Count < 3 || (obj.GetAt(0).Key == "apiVersion" && obj.GetAt(1).Key == "kind"))
        {
            return;
        }

        var members = obj.ToList();
        obj.Clear();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" })
        {
            if (members.FirstOrDefault(m => m.Key == key) is { Key: not null } member)
            {
                obj[key] = member.Value;
            }
        }

        foreach (var (key, value) in members.Where(m => m.Key is not ("apiVersion" or "kind" or "metadata")))
        {
            obj[key] = value;
        }
    }

    public static string? GetString(JsonObject? obj, string key) =>
        obj?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static long? GetLong(JsonObject? obj, string key) =>
        obj?[key] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>Kubernetes' metav1.Time format: RFC 3339, UTC, whole seconds.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static List<string> Finalizers(JsonObject metadata) =>
        metadata["finalizers"] is JsonArray array ? [.. array.Select(f => f!.GetValue<string>())] : [];

    public static void SetFinalizers(JsonObject metadata, IReadOnlyCollection<string> finalizers)
    {
        if (finalizers.Count == 0)
        {
            metadata.Remove("finalizers");
        }
        else
        {
            metadata["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]);
        }
    }

    /// <summary>Deep equality of two JSON trees, ignoring the listed top-level members.</summary>
    public static bool EqualExcept(JsonObject a, JsonObject b, params string[] ignoredMembers)
    {
        var keys = a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => !ignoredMembers.Contains(k));
        return keys.All(k => JsonNode.DeepEquals(a[k], b[k]));
    }

    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>generateName's suffix: five characters from the alphabet Kubernetes uses (no vowels, no look-alikes).</summary>
    public static string RandomSuffix()
    {
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = NameAlphabet[Random.Shared.Next(NameAlphabet.Length)];
        }

        return new string(suffix);
    }
}
