using System.Text.Json;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// ConfigMap and Secret validation of <c>pkg/apis/core/validation</c>: <c>ValidateConfigMap</c>,
/// <c>ValidateConfigMapUpdate</c>, <c>ValidateSecret</c> and <c>ValidateSecretUpdate</c>.
/// </summary>
internal static class ConfigMapSecretValidation
{
    /// <summary>MaxSecretSize: the data of a Secret or ConfigMap together, 1 MiB.</summary>
    public const int MaxSecretSize = 1024 * 1024;

    private const string ImmutableMessage = "field is immutable when `immutable` is set";

    /// <summary>
    /// ValidateConfigMap: metadata, valid keys in data and binaryData, no key in both, and at most 1 MiB of values
    /// (reported, as upstream does, on the empty path: the object as a whole).
    /// </summary>
    public static List<MetaFieldError> ValidateConfigMap(JsonObject configMap)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(configMap, true, Content.NameIsDnsSubdomain, kubeFinalizers: true);
        var data = configMap["data"] as JsonObject ?? [];
        var binaryData = configMap["binaryData"] as JsonObject ?? [];
        long total = 0;
        foreach (var (key, value) in ObjectMetaValidation.StringMap(data))
        {
            var path = FieldErrors.Key("data", key);
            errors.AddRange(Content.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(path, key, m)));
            if (binaryData.ContainsKey(key))
            {
                errors.Add(FieldErrors.Invalid(path, key, "duplicate of key present in binaryData"));
            }

            total += Content.ByteLength(value);
        }

        foreach (var (key, value) in ObjectMetaValidation.StringMap(binaryData))
        {
            var path = FieldErrors.Key("binaryData", key);
            errors.AddRange(Content.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(path, key, m)));
            total += DecodedLength(value);
        }

        if (total > MaxSecretSize)
        {
            errors.Add(FieldErrors.TooLong("", MaxSecretSize));
        }

        return errors;
    }

    /// <summary>ValidateConfigMapUpdate: metadata update, then once immutable, immutable, data and binaryData stay.</summary>
    public static List<MetaFieldError> ValidateConfigMapUpdate(JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
        if (IsImmutable(old))
        {
            if (!IsImmutable(next))
            {
                errors.Add(FieldErrors.Forbidden("immutable", ImmutableMessage));
            }

            if (!JsonNode.DeepEquals(NonEmpty(next["data"]), NonEmpty(old["data"])))
            {
                errors.Add(FieldErrors.Forbidden("data", ImmutableMessage));
            }

            if (!JsonNode.DeepEquals(NonEmpty(next["binaryData"]), NonEmpty(old["binaryData"])))
            {
                errors.Add(FieldErrors.Forbidden("binaryData", ImmutableMessage));
            }
        }

        errors.AddRange(ValidateConfigMap(next));
        return errors;
    }

    /// <summary>
    /// ValidateSecret: metadata, valid data keys, at most 1 MiB of (decoded) data, and the keys or annotation each
    /// built-in type requires (service-account-token, dockercfg, dockerconfigjson, basic-auth, ssh-auth, tls).
    /// </summary>
    public static List<MetaFieldError> ValidateSecret(JsonObject secret)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(secret, true, Content.NameIsDnsSubdomain, kubeFinalizers: true);
        var data = ObjectMetaValidation.StringMap(secret["data"]).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        long total = 0;
        foreach (var (key, value) in data)
        {
            errors.AddRange(Content.IsConfigMapKey(key).Select(m => FieldErrors.Invalid(FieldErrors.Key("data", key), key, m)));
            total += DecodedLength(value);
        }

        if (total > MaxSecretSize)
        {
            errors.Add(FieldErrors.TooLong("data", MaxSecretSize));
        }

        switch (ObjectMeta.GetString(secret, "type") ?? "")
        {
            case "kubernetes.io/service-account-token":
                var annotations = ObjectMetaValidation.StringMap(secret["metadata"]?["annotations"]);
                if (!annotations.Any(p => p.Key == "kubernetes.io/service-account.name" && p.Value.Length > 0))
                {
                    errors.Add(FieldErrors.Required("metadata.annotations[kubernetes.io/service-account.name]", ""));
                }

                break;
            case "kubernetes.io/dockercfg":
                errors.AddRange(RequireJsonObject(data, ".dockercfg"));
                break;
            case "kubernetes.io/dockerconfigjson":
                errors.AddRange(RequireJsonObject(data, ".dockerconfigjson"));
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    // Upstream builds these paths from the literal "data[%s]"; the API server reports them so.
                    errors.Add(FieldErrors.Required("data[%s][username]", ""));
                    errors.Add(FieldErrors.Required("data[%s][password]", ""));
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (!data.TryGetValue("ssh-privatekey", out var privateKey) || DecodedLength(privateKey) == 0)
                {
                    errors.Add(FieldErrors.Required("data[%s][ssh-privatekey]", ""));
                }

                break;
            case "kubernetes.io/tls":
                foreach (var key in new[] { "tls.crt", "tls.key" })
                {
                    if (!data.ContainsKey(key))
                    {
                        errors.Add(FieldErrors.Required(FieldErrors.Key("data", key), ""));
                    }
                }

                break;
        }

        return errors;
    }

    /// <summary>ValidateSecretUpdate: metadata update, type immutable, and once immutable, immutable and data stay.</summary>
    public static List<MetaFieldError> ValidateSecretUpdate(JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
        var type = ObjectMeta.GetString(next, "type") ?? "";
        if (type != (ObjectMeta.GetString(old, "type") ?? ""))
        {
            errors.Add(FieldErrors.Immutable("type", type));
        }

        if (IsImmutable(old))
        {
            if (!IsImmutable(next))
            {
                errors.Add(FieldErrors.Forbidden("immutable", ImmutableMessage));
            }

            if (!JsonNode.DeepEquals(NonEmpty(next["data"]), NonEmpty(old["data"])))
            {
                errors.Add(FieldErrors.Forbidden("data", ImmutableMessage));
            }
        }

        errors.AddRange(ValidateSecret(next));
        return errors;
    }

    private static bool IsImmutable(JsonObject obj) =>
        obj["immutable"] is JsonValue value && value.TryGetValue<bool>(out var immutable) && immutable;

    /// <summary>An empty map and no map are the same data once stored (the API server omits empty maps).</summary>
    private static JsonNode? NonEmpty(JsonNode? node) => node is JsonObject { Count: 0 } ? null : node;

    /// <summary>The byte length of a base64 value, as the API server holds it decoded.</summary>
    private static long DecodedLength(string base64)
    {
        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? written : base64.Length;
    }

    /// <summary>The dockercfg types: the key must exist and hold a JSON object (json.Unmarshal into a map).</summary>
    private static IEnumerable<MetaFieldError> RequireJsonObject(Dictionary<string, string> data, string key)
    {
        var path = FieldErrors.Key("data", key);
        if (!data.TryGetValue(key, out var base64))
        {
            yield return FieldErrors.Required(path, "");
            yield break;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            bytes = [];
        }

        string? problem = null;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                var kind = document.RootElement.ValueKind switch
                {
                    JsonValueKind.Array => "array",
                    JsonValueKind.String => "string",
                    JsonValueKind.Number => "number",
                    JsonValueKind.True or JsonValueKind.False => "bool",
                    _ => null,
                };
                problem = kind is null ? null : $"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}";
            }
        }
        catch (JsonException)
        {
            var text = System.Text.Encoding.UTF8.GetString(bytes).TrimStart();
            problem = text.Length == 0 ? "unexpected end of JSON input" : $"invalid character '{text[0]}' looking for beginning of value";
        }

        if (problem is not null)
        {
            yield return FieldErrors.Invalid(path, "<secret contents redacted>", problem);
        }
    }
}
