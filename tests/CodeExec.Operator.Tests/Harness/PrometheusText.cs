using System.Globalization;
using System.Text;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>One sample of a Prometheus text exposition: <c>name{label="value",...} value</c>.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>True when every label of <paramref name="labels"/> (name=value) is on this sample.</summary>
    public bool Has(params (string Name, string Value)[] labels) =>
        labels.All(label => Labels.TryGetValue(label.Name, out var value) && value == label.Value);
}

/// <summary>
/// Reads the Prometheus text format (version 0.0.4, what <c>/metrics</c> answers a client without an OpenMetrics Accept
/// header): comment lines are skipped, label values unescaped (<c>\\</c>, <c>\"</c>, <c>\n</c>). Label order is not
/// assumed, so tests do not depend on how the exporter sorts labels.
/// </summary>
internal static class PrometheusText
{
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ')
            {
                i++;
            }

            var name = line[..i];
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    var equals = line.IndexOf('=', i);
                    var labelName = line[i..equals];
                    i = equals + 2; // past ="
                    var value = new StringBuilder();
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] == 'n' ? '\n' : line[i]);
                        }
                        else
                        {
                            value.Append(line[i]);
                        }

                        i++;
                    }

                    labels[labelName] = value.ToString();
                    i++; // past the closing quote
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }

                i++; // past }
            }

            var fields = line[i..].Trim().Split(' ');
            var number = fields[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var digits => double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(name, labels, number));
        }

        return samples;
    }
}
