using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using CodeExec.Api;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The C# status type and the committed CRD's status schema describe the same fields: a CodeExecutionStatus with every
/// property set, serialized as the operator serializes it, has only paths the schema declares (a field the server would
/// prune), with the schema's types, and the schema declares nothing the type lacks.
/// </summary>
public sealed class StatusSchemaDriftTests
{
    [Fact]
    public void Every_property_of_a_fully_populated_status_is_in_the_crd_schema_with_its_type()
    {
        var json = FullyPopulatedStatus();
        var problems = new List<string>();

        CheckAgainstSchema(json, StatusSchema(), "status", problems);

        Assert.True(problems.Count == 0, "the status type and the CRD's status schema differ (make crds?):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Every_field_of_the_crd_status_schema_is_a_property_of_the_status_type()
    {
        var json = FullyPopulatedStatus();
        var problems = new List<string>();

        CheckSchemaIsCovered(StatusSchema(), json, "status", problems);

        Assert.True(problems.Count == 0, "the CRD's status schema has fields the status type lacks:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_drift_check_reports_a_property_the_schema_lacks_and_a_wrong_type()
    {
        var json = FullyPopulatedStatus();
        json["exitStatus"] = 1;
        json["durationMs"] = "1250";
        var problems = new List<string>();

        CheckAgainstSchema(json, StatusSchema(), "status", problems);

        Assert.Contains("status.exitStatus: not in the CRD schema (the server prunes it)", problems);
        Assert.Contains("status.durationMs: a string in JSON, integer in the CRD schema", problems);
    }

    [Fact]
    public void Populating_sets_every_property_of_the_status_type()
    {
        var json = FullyPopulatedStatus();
        var properties = typeof(CodeExecutionStatus).GetProperties(BindingFlags.Public | BindingFlags.Instance);

        Assert.Equal(properties.Length, json.Count);
        Assert.All(json, p => Assert.NotNull(p.Value));
    }

    /// <summary>A status with every property (and every property of its conditions) set, as JSON.</summary>
    private static JsonObject FullyPopulatedStatus() =>
        JsonNode.Parse(KubernetesJson.Serialize(Populate(typeof(CodeExecutionStatus))))!.AsObject();

    private static JsonObject StatusSchema()
    {
        var path = Path.Combine(RepositoryRoot.Find(), "crds", "codeexec.dev_codeexecutions.yaml");
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(path));
        var version = Assert.Single(crd.Spec.Versions);
        var schema = JsonNode.Parse(KubernetesJson.Serialize(version.Schema.OpenAPIV3Schema))!;
        return schema["properties"]!["status"]!.AsObject();
    }

    private static object Populate(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return Convert.ChangeType(1, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(DateTime))
        {
            return new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IEnumerable<>)))
        {
            var item = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
            list.Add(Populate(item));
            return list;
        }

        var instance = Activator.CreateInstance(type) ?? throw new InvalidOperationException($"cannot create {type}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            property.SetValue(instance, Populate(property.PropertyType));
        }

        return instance;
    }

    private static void CheckAgainstSchema(JsonNode? value, JsonObject schema, string path, List<string> problems)
    {
        var type = schema["type"]?.GetValue<string>();
        var kind = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v when v.TryGetValue<string>(out _) => "string",
            JsonValue v when v.TryGetValue<bool>(out _) => "boolean",
            JsonValue v when v.TryGetValue<long>(out _) => "integer",
            _ => "number",
        };
        if (type is not null && type != kind)
        {
            problems.Add($"{path}: a{(kind is "object" or "array" or "integer" ? "n" : "")} {kind} in JSON, {type} in the CRD schema");
            return;
        }

        switch (value)
        {
            case JsonObject obj when schema["properties"] is JsonObject properties:
                foreach (var (name, child) in obj)
                {
                    if (properties[name] is JsonObject childSchema)
                    {
                        CheckAgainstSchema(child, childSchema, path + "." + name, problems);
                    }
                    else
                    {
                        problems.Add($"{path}.{name}: not in the CRD schema (the server prunes it)");
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    CheckAgainstSchema(item, items, path + "[]", problems);
                }

                break;
        }
    }

    private static void CheckSchemaIsCovered(JsonObject schema, JsonNode? value, string path, List<string> problems)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                if (value is JsonObject obj && obj[name] is { } present)
                {
                    CheckSchemaIsCovered(child!.AsObject(), present, path + "." + name, problems);
                }
                else
                {
                    problems.Add($"{path}.{name}: in the CRD schema, not in the status type");
                }
            }
        }
        else if (schema["items"] is JsonObject items && value is JsonArray { Count: > 0 } array)
        {
            CheckSchemaIsCovered(items, array[0], path + "[]", problems);
        }
    }
}
