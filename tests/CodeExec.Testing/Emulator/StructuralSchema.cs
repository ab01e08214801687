using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// What the API server does with a custom resource's structural schema before storing it: drop fields the schema
/// does not know (pruning, unless <c>x-kubernetes-preserve-unknown-fields</c>) and fill in <c>default</c>s.
/// OpenAPI validation (types, patterns, CEL rules) is not done: see the README.
/// </summary>
internal static class StructuralSchema
{
    private static readonly string[] RootFields = ["apiVersion", "kind", "metadata"];

    public static void PruneAndDefault(JsonObject obj, JsonObject? schema)
    {
        if (schema is null)
        {
            return;
        }

        var properties = schema["properties"] as JsonObject;
        foreach (var (name, value) in obj.ToList())
        {
            if (RootFields.Contains(name))
            {
                continue;
            }

            if (properties?[name] is JsonObject propertySchema)
            {
                Apply(value, propertySchema);
            }
            else if (!PreservesUnknown(schema))
            {
                obj.Remove(name);
            }
        }

        ApplyDefaults(obj, properties, skipRoot: true);
    }

    private static void Apply(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                if (schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true && properties is null && additional is null)
                {
                    return;
                }

                foreach (var (name, value) in obj.ToList())
                {
                    if (properties?[name] is JsonObject propertySchema)
                    {
                        Apply(value, propertySchema);
                    }
                    else if (additional is not null)
                    {
                        Apply(value, additional);
                    }
                    else if (properties is not null && !PreservesUnknown(schema))
                    {
                        obj.Remove(name);
                    }
                    else if (properties is null && !PreservesUnknown(schema) && schema["additionalProperties"] is null)
                    {
                        obj.Remove(name);
                    }
                }

                ApplyDefaults(obj, properties, skipRoot: false);
                break;
            case JsonArray array when schema["items"] is JsonObject itemSchema:
                foreach (var item in array)
                {
                    Apply(item, itemSchema);
                }

                break;
        }
    }

    private static void ApplyDefaults(JsonObject obj, JsonObject? properties, bool skipRoot)
    {
        if (properties is null)
        {
            return;
        }

        foreach (var (name, propertySchema) in properties)
        {
            if (skipRoot && RootFields.Contains(name))
            {
                continue;
            }

            if (!obj.ContainsKey(name) && propertySchema?["default"] is { } defaultValue)
            {
                var value = defaultValue.DeepClone();
                obj[name] = value;
                Apply(value, (JsonObject)propertySchema);
            }
        }
    }

    private static bool PreservesUnknown(JsonObject schema) =>
        schema["x-kubernetes-preserve-unknown-fields"] is JsonValue v && v.TryGetValue<bool>(out var preserve) && preserve;
}
