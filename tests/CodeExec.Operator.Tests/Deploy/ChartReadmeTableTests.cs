using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The chart README's values table is values.schema.json and values.yaml seen by a reader: one row per value (a leaf
/// of the schema), with its type, its default from values.yaml and the schema's description. The rows between the
/// README's <c>values-table</c> markers must equal what this test renders, so the table cannot fall behind the chart.
/// To rewrite the table after a change to the schema or the defaults: <c>UPDATE_CHART_README=1 dotnet test --project
/// tests/CodeExec.Operator.Tests -- --filter-class '*ChartReadmeTableTests'</c>, then review the diff.
/// </summary>
public sealed class ChartReadmeTableTests
{
    private const string Begin = "<!-- values-table:begin (generated from values.schema.json and values.yaml; see ChartReadmeTableTests) -->";
    private const string End = "<!-- values-table:end -->";

    /// <summary>Defaults longer than this (the default runtimes, say) are shown as a pointer to values.yaml.</summary>
    private const int LongestDefaultShown = 60;

    private static readonly string ChartDirectory = RepositoryFiles.PathOf("charts", "codeexec-operator");

    [Fact]
    public void The_chart_README_lists_every_value_with_its_type_default_and_description()
    {
        var readmePath = Path.Combine(ChartDirectory, "README.md");
        var readme = File.ReadAllText(readmePath);
        var begin = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{readmePath} lacks the markers {Begin} ... {End}");

        var expected = Render(LoadSchema(), LoadValues());
        var actual = readme[(begin + Begin.Length)..end].Trim('\n');
        if (actual != expected && Environment.GetEnvironmentVariable("UPDATE_CHART_README") == "1")
        {
            File.WriteAllText(readmePath, readme[..(begin + Begin.Length)] + "\n" + expected + "\n" + readme[end..]);
            return;
        }

        Assert.True(actual == expected,
            $"the values table of {readmePath} is not what values.schema.json and values.yaml say; rewrite it with "
            + "UPDATE_CHART_README=1 (see this test's summary). Expected:\n" + expected);
    }

    [Fact]
    public void A_value_without_a_description_or_with_a_pipe_renders_as_a_valid_row()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{
              "a":{"type":"object","properties":{"b":{"type":"integer","description":"x | y"}}},
              "c":{"type":["string","integer"]}}}
            """)!.AsObject();
        var values = LoadYaml("a:\n  b: 3\nc: \"\"\n");

        var table = Render(schema, values).Split('\n');

        Assert.Equal(
            [
                "| Value | Type | Default | Description |",
                "|---|---|---|---|",
                "| `a.b` | integer | `3` | x \\| y |",
                "| `c` | string or integer | `\"\"` |  |",
            ],
            table);
    }

    /// <summary>The table's Markdown: a header and one row per leaf of <paramref name="schema"/>, in schema order.</summary>
    private static string Render(JsonObject schema, YamlMappingNode values)
    {
        var rows = new StringBuilder();
        rows.Append("| Value | Type | Default | Description |\n|---|---|---|---|");
        AppendRows(schema, values, "", rows);
        return rows.ToString();
    }

    private static void AppendRows(JsonObject schema, YamlNode? value, string path, StringBuilder rows)
    {
        if (schema["properties"] is JsonObject properties && properties.Count > 0)
        {
            foreach (var (key, child) in properties)
            {
                var childValue = value is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
                AppendRows(child!.AsObject(), childValue, path.Length == 0 ? key : path + "." + key, rows);
            }

            return;
        }

        var types = schema["type"] switch
        {
            JsonArray array => string.Join(" or ", array.Select(t => (string)t!)),
            JsonNode single => (string)single!,
            null => "any",
        };
        var description = ((string?)schema["description"] ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        rows.Append(CultureInfo.InvariantCulture, $"\n| `{path}` | {types} | {Default(value)} | {description} |");
    }

    private static string Default(YamlNode? value)
    {
        if (value is null)
        {
            return "";
        }

        var json = ToJson(value);
        var text = json switch
        {
            null => "null",
            JsonValue scalar when scalar.TryGetValue<string>(out var s) && s.Length > 0 => s,
            _ => json.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
        };
        return text.Length > LongestDefaultShown ? "see values.yaml" : "`" + text.Replace("|", "\\|", StringComparison.Ordinal) + "`";
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    /// <summary>A plain scalar typed as YAML 1.2's core schema reads it (as helm does); a quoted one is a string.</summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            "" or "null" or "~" => null,
            _ when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(text),
        };
    }

    private static JsonObject LoadSchema() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(ChartDirectory, "values.schema.json")))!.AsObject();

    private static YamlMappingNode LoadValues() => LoadYaml(File.ReadAllText(Path.Combine(ChartDirectory, "values.yaml")));

    private static YamlMappingNode LoadYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
