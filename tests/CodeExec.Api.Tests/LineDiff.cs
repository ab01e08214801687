using System.Text;

namespace CodeExec.Api.Tests;

/// <summary>A unified-style line diff (longest common subsequence), showing changed lines with a little context.</summary>
internal static class LineDiff
{
    /// <summary>Null when the texts are equal; else the differing lines, "-" for expected and "+" for actual, with line numbers.</summary>
    public static string? Compare(string expected, string actual, int context = 2, int maxLines = 60)
    {
        if (expected == actual)
        {
            return null;
        }

        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<(char Op, int Line, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                edits.Add((' ', x + 1, a[x]));
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                edits.Add(('+', y + 1, b[y]));
                y++;
            }
            else
            {
                edits.Add(('-', x + 1, a[x]));
                x++;
            }
        }

        var output = new StringBuilder();
        var shown = 0;
        for (var k = 0; k < edits.Count && shown < maxLines; k++)
        {
            var near = edits.Skip(Math.Max(0, k - context)).Take((2 * context) + 1).Any(e => e.Op != ' ');
            if (near)
            {
                output.Append(edits[k].Op).Append(' ').Append(edits[k].Line.ToString("D4", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(" | ").Append(edits[k].Text).Append('\n');
                shown++;
            }
        }

        return output.ToString();
    }
}
