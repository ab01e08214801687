namespace CodeExec.Cli.Formatting;

/// <summary>Columns aligned as kubectl prints them: left-aligned, three spaces between columns, no trailing spaces.</summary>
internal static class TextTable
{
    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/>, each row as many cells as the header.</summary>
    public static void Write(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, i) => i == row.Count - 1 ? cell : cell.PadRight(widths[i]));
            writer.WriteLine(string.Join("   ", cells).TrimEnd());
        }
    }
}
