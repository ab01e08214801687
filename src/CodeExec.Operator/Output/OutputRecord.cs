using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CodeExec.Operator.Output;

/// <summary>What the collector found for one stream file.</summary>
internal enum CaptureState
{
    /// <summary>Read to the end.</summary>
    Ok,
    /// <summary>The file does not exist (the program never started).</summary>
    Missing,
    /// <summary>The collector was not allowed to read it (the program changed its mode).</summary>
    Unreadable,
    /// <summary>Not a regular file (a symbolic link or a directory the program put there); not followed.</summary>
    Invalid,
}

/// <summary>One stream as the collector captured it: exact byte count and the kept head and tail.</summary>
internal sealed record CapturedStream(CaptureState State, long TotalBytes, byte[] Head, byte[] Tail)
{
    /// <summary>A stream with nothing captured.</summary>
    public static CapturedStream Empty(CaptureState state) => new(state, 0, [], []);
}

/// <summary>
/// The framed record the collector prints and the operator reads from the collector's log. Pure ASCII, so log
/// transport cannot alter it, and the program's bytes are only ever base64 inside it, so nothing the program
/// prints can look like structure:
/// <code>
/// #codeexec-output v1 stdout=ok,TOTAL,HEAD,TAIL stderr=ok,TOTAL,HEAD,TAIL
/// BASE64 of stdout head + stdout tail + stderr head + stderr tail, 76 characters a line
/// #codeexec-output end SHA256-HEX-OF-THOSE-BYTES
/// </code>
/// Counts come first and every length is explicit: the decoder checks the payload length and digest against them.
/// </summary>
internal static class OutputRecord
{
    public const string HeaderPrefix = "#codeexec-output v1 ";
    public const string TrailerPrefix = "#codeexec-output end ";
    public const int LineWidth = 76;
    private const int MaxHeaderLength = 256;
    private const int MaxTrailerLength = 128;

    /// <summary>
    /// The most bytes a record for <paramref name="limitBytes"/> per stream can have: the <c>limitBytes</c> the operator
    /// passes to the pod log request, so a misbehaving collector cannot make it read more.
    /// </summary>
    public static long MaxRecordBytes(int limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        var payload = 2L * limitBytes;
        var base64 = (payload + 2) / 3 * 4;
        var lines = (base64 + LineWidth - 1) / LineWidth;
        return MaxHeaderLength + base64 + lines + MaxTrailerLength;
    }

    /// <summary>Writes the record of two captured streams.</summary>
    public static void Write(TextWriter writer, CapturedStream stdout, CapturedStream stderr)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        byte[] payload = [.. stdout.Head, .. stdout.Tail, .. stderr.Head, .. stderr.Tail];
        writer.Write(HeaderPrefix + "stdout=" + Describe(stdout) + " stderr=" + Describe(stderr) + "\n");
        var base64 = Convert.ToBase64String(payload);
        for (var i = 0; i < base64.Length; i += LineWidth)
        {
            writer.Write(base64.AsSpan(i, Math.Min(LineWidth, base64.Length - i)));
            writer.Write('\n');
        }

        writer.Write(TrailerPrefix + Convert.ToHexStringLower(SHA256.HashData(payload)) + "\n");
        writer.Flush();
    }

    private static string Describe(CapturedStream s) => string.Create(CultureInfo.InvariantCulture,
        $"{StateName(s.State)},{s.TotalBytes},{s.Head.Length},{s.Tail.Length}");

    private static string StateName(CaptureState state) => state switch
    {
        CaptureState.Ok => "ok",
        CaptureState.Missing => "missing",
        CaptureState.Unreadable => "unreadable",
        _ => "invalid",
    };

    /// <summary>Parses a record from the collector's log. Returns null and an error when the log holds no complete, consistent record.</summary>
    public static (CapturedStream Stdout, CapturedStream Stderr)? Parse(string log, out string? error)
    {
        ArgumentNullException.ThrowIfNull(log);
        var lines = log.Split('\n');
        var headerIndex = Array.FindIndex(lines, l => l.StartsWith(HeaderPrefix, StringComparison.Ordinal));
        if (headerIndex < 0)
        {
            error = "the collector's log holds no output record (the collector did not run to the end)";
            return null;
        }

        var header = lines[headerIndex][HeaderPrefix.Length..].TrimEnd('\r').Split(' ');
        if (header.Length != 2 || !TryParseStream(header[0], "stdout=", out var outMeta) || !TryParseStream(header[1], "stderr=", out var errMeta))
        {
            error = "the output record's header is malformed";
            return null;
        }

        var base64 = new StringBuilder();
        string? trailer = null;
        for (var i = headerIndex + 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith(TrailerPrefix, StringComparison.Ordinal))
            {
                trailer = line[TrailerPrefix.Length..];
                break;
            }

            base64.Append(line);
        }

        if (trailer is null)
        {
            error = "the output record is incomplete (no trailer)";
            return null;
        }

        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(base64.ToString());
        }
        catch (FormatException)
        {
            error = "the output record's payload is not base64";
            return null;
        }

        var expected = outMeta.Head + outMeta.Tail + errMeta.Head + errMeta.Tail;
        if (payload.LongLength != expected)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"the output record's payload has {payload.LongLength} bytes, its header says {expected}");
            return null;
        }

        if (!string.Equals(trailer, Convert.ToHexStringLower(SHA256.HashData(payload)), StringComparison.Ordinal))
        {
            error = "the output record's digest does not match its payload";
            return null;
        }

        var offset = 0;
        error = null;
        return (Slice(outMeta, payload, ref offset), Slice(errMeta, payload, ref offset));
    }

    private static CapturedStream Slice((CaptureState State, long Total, int Head, int Tail) meta, byte[] payload, ref int offset)
    {
        var head = payload.AsSpan(offset, meta.Head).ToArray();
        offset += meta.Head;
        var tail = payload.AsSpan(offset, meta.Tail).ToArray();
        offset += meta.Tail;
        return new CapturedStream(meta.State, meta.Total, head, tail);
    }

    private static bool TryParseStream(string field, string prefix, out (CaptureState State, long Total, int Head, int Tail) meta)
    {
        meta = default;
        if (!field.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = field[prefix.Length..].Split(',');
        if (parts.Length != 4)
        {
            return false;
        }

        CaptureState? state = parts[0] switch
        {
            "ok" => CaptureState.Ok,
            "missing" => CaptureState.Missing,
            "unreadable" => CaptureState.Unreadable,
            "invalid" => CaptureState.Invalid,
            _ => null,
        };
        const NumberStyles digits = NumberStyles.None;
        if (state is null
            || !long.TryParse(parts[1], digits, CultureInfo.InvariantCulture, out var total)
            || !int.TryParse(parts[2], digits, CultureInfo.InvariantCulture, out var head)
            || !int.TryParse(parts[3], digits, CultureInfo.InvariantCulture, out var tail)
            || (long)head + tail > total)
        {
            return false;
        }

        meta = (state.Value, total, head, tail);
        return true;
    }
}
