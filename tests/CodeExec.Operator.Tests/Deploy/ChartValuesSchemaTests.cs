using System.Text.Json.Nodes;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// charts/codeexec-operator/values.schema.json (helm validates values against it on install, upgrade, lint and
/// template) is kept in step with values.yaml: every value has a schema entry of its type with a description, and
/// the schema names no value values.yaml lacks (free-form maps such as podAnnotations excepted).
/// </summary>
public sealed class ChartValuesSchemaTests
{
    private static readonly string ChartDirectory = RepositoryFiles.PathOf("charts", "codeexec-operator");

    private static JsonObject Schema() => JsonNode.Parse(File.ReadAllText(Path.Combine(ChartDirectory, "values.schema.json")))!.AsObject();

    private static YamlMappingNode Values()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(ChartDirectory, "values.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [Fact]
    public void Every_value_has_a_schema_entry_of_its_type_and_the_schema_names_nothing_else()
    {
        var problems = new List<string>();
        Compare(Values(), Schema(), "", problems);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Helm_refuses_values_of_the_wrong_type_or_name()
    {
        var helm = ExternalTool.Require("helm", "the chart's schema cannot be checked by helm here");
        var wrongType = ExternalTool.Run(helm, "template", "x", ChartDirectory, "--set", "replicas=two");
        var unknown = ExternalTool.Run(helm, "template", "x", ChartDirectory, "--set", "replica=2");
        var lint = ExternalTool.Run(helm, "lint", ChartDirectory, "--strict");

        Assert.False(wrongType.Succeeded, "helm accepted replicas=two");
        Assert.Contains("replicas", wrongType.Stderr, StringComparison.Ordinal);
        Assert.False(unknown.Succeeded, "helm accepted an unknown value 'replica'");
        Assert.True(lint.Succeeded, lint.Stdout + lint.Stderr);
    }

    private static void Compare(YamlNode value, JsonObject schema, string path, List<string> problems)
    {
        var name = path.Length == 0 ? "(root)" : path;
        if (path.Length > 0 && schema["description"] is null)
        {
            problems.Add($"{name}: no description in the schema");
        }

        var types = schema["type"] switch
        {
            JsonArray array => array.Select(t => (string)t!).ToHashSet(StringComparer.Ordinal),
            JsonNode single => [(string)single!],
            null => [],
        };
        var expected = value switch
        {
            YamlMappingNode => "object",
            YamlSequenceNode => "array",
            YamlScalarNode scalar => ScalarType(scalar),
            _ => "unknown",
        };
        if (!types.Contains(expected) && !(expected == "integer" && types.Contains("number")))
        {
            problems.Add($"{name}: values.yaml has {expected}, the schema allows {string.Join("|", types)}");
        }

        if (value is not YamlMappingNode mapping || schema["properties"] is not JsonObject properties)
        {
            if (value is YamlMappingNode && schema["additionalProperties"] is JsonValue closed && !(bool)closed)
            {
                problems.Add($"{name}: a closed object without properties");
            }

            return;
        }

        var keys = mapping.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!).ToList();
        foreach (var key in keys)
        {
            var child = path.Length == 0 ? key : path + "." + key;
            if (properties[key] is not JsonObject childSchema)
            {
                problems.Add($"{child}: in values.yaml, not in the schema");
                continue;
            }

            Compare(mapping.Children[new YamlScalarNode(key)], childSchema, child, problems);
        }

        foreach (var (key, _) in properties)
        {
            if (!keys.Contains(key))
            {
                problems.Add($"{(path.Length == 0 ? key : path + "." + key)}: in the schema, not in values.yaml");
            }
        }

        if (schema["additionalProperties"] is not JsonValue additional || (bool)additional)
        {
            problems.Add($"{name}: the schema lists its keys but accepts others (additionalProperties is not false)");
        }
    }

    private static string ScalarType(YamlScalarNode scalar)
    {
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted)
        {
            return "string";
        }

        var text = scalar.Value ?? "";
        return text switch
        {
            "true" or "false" => "boolean",
            "" or "null" or "~" => "null",
            _ when long.TryParse(text, out _) => "integer",
            _ when double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) => "number",
            _ => "string",
        };
    }
}
