using System.Globalization;
using System.Text;
using CodeExec.Api;
using CodeExec.DevCluster.Samples;

namespace CodeExec.DevCluster.Reporting;

/// <summary>Formats the final state of each sample for a terminal: a headline per execution, then its output, truncated for display.</summary>
public static class ResultReport
{
    /// <summary>Most characters of each stream shown.</summary>
    public const int DisplayChars = 400;

    /// <summary>Most lines of each stream shown.</summary>
    public const int DisplayLines = 6;

    /// <summary>The block printed for one execution: name, runtime, phase, reason, exit code, duration, stdout, stderr, verdict.</summary>
    public static string Describe(string name, CodeExecution? execution, SampleExpectation expectation)
    {
        ArgumentNullException.ThrowIfNull(expectation);
        var text = new StringBuilder();
        var status = execution?.Status;
        var differences = expectation.Differences(status);
        var verdict = differences.Count == 0 ? "as designed" : "NOT as designed: " + string.Join("; ", differences);
        text.Append(CultureInfo.InvariantCulture, $"== {name}  [{verdict}]\n");
        if (execution is null)
        {
            text.Append("   (not found)\n");
            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture,
            $"   runtime {status?.Runtime ?? execution.Spec.Runtime ?? "(default)"}, phase {status?.Phase ?? "(none)"}, reason {status?.Reason ?? "-"}, "
            + $"exit code {Number(status?.ExitCode)}, duration {Duration(status)}\n");
        if (!string.IsNullOrEmpty(status?.Message))
        {
            text.Append(CultureInfo.InvariantCulture, $"   message: {Shorten(status.Message, DisplayChars, 3).ReplaceLineEndings(" ")}\n");
        }

        AppendStream(text, "stdout", status?.Stdout, status?.StdoutBytes, status?.StdoutTruncated, status?.StdoutEncoding);
        AppendStream(text, "stderr", status?.Stderr, status?.StderrBytes, status?.StderrTruncated, status?.StderrEncoding);
        return text.ToString();
    }

    private static void AppendStream(StringBuilder text, string stream, string? content, long? bytes, bool? truncated, string? encoding)
    {
        var facts = new List<string> { $"{Number(bytes)} bytes" };
        if (truncated == true)
        {
            facts.Add("truncated by the operator");
        }

        if (!string.IsNullOrEmpty(encoding))
        {
            facts.Add($"encoding {encoding}");
        }

        text.Append(CultureInfo.InvariantCulture, $"   {stream} ({string.Join(", ", facts)}):");
        if (string.IsNullOrEmpty(content))
        {
            text.Append(" (empty)\n");
            return;
        }

        text.Append('\n');
        foreach (var line in Shorten(content, DisplayChars, DisplayLines).Split('\n'))
        {
            text.Append("     | ").Append(line).Append('\n');
        }
    }

    /// <summary>The first <paramref name="maxLines"/> lines and <paramref name="maxChars"/> characters, with a note of what was left out.</summary>
    private static string Shorten(string content, int maxChars, int maxLines)
    {
        var trimmed = content.TrimEnd('\n');
        var lines = trimmed.Split('\n');
        var shown = string.Join('\n', lines.Take(maxLines));
        if (shown.Length > maxChars)
        {
            shown = shown[..maxChars];
        }

        var hidden = trimmed.Length - shown.Length;
        return hidden > 0 ? shown + string.Create(CultureInfo.InvariantCulture, $"\n... ({hidden} more characters not shown)") : shown;
    }

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Duration(CodeExecutionStatus? status) => status switch
    {
        { DurationMs: { } ms } => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000.0:0.00}s"),
        { Duration: { Length: > 0 } duration } => duration,
        _ => "-",
    };
}
