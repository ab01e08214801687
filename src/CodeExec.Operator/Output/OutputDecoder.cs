using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace CodeExec.Operator.Output;

/// <summary>The values of status.stdoutEncoding and status.stderrEncoding.</summary>
internal static class OutputEncodings
{
    public const string Utf8 = "utf-8";
    public const string Base64 = "base64";
}

/// <summary>One stream ready for status.</summary>
/// <param name="Text">The kept output: UTF-8 text, or base64 of the kept bytes when they are not valid UTF-8.</param>
/// <param name="Encoding"><see cref="OutputEncodings.Utf8"/> or <see cref="OutputEncodings.Base64"/>.</param>
/// <param name="Truncated">True when the middle was cut (a marker then stands between head and tail).</param>
/// <param name="TotalBytes">Every byte the program wrote to the stream.</param>
/// <param name="Problem">Why the stream could not be collected fully (null when it could).</param>
internal sealed record StreamOutput(string Text, string Encoding, bool Truncated, long TotalBytes, string? Problem)
{
    /// <summary>True when the bytes are valid UTF-8 but base64-encoded: JSON escaping would make them larger than base64 (4/3 of their size).</summary>
    public bool Base64ForEscaping { get; init; }

    /// <summary>True when less than limits.outputBytes was kept so that the CodeExecution stays within its size limit.</summary>
    public bool CutToFit { get; init; }

    /// <summary>Nothing collected, for <paramref name="problem"/>.</summary>
    public static StreamOutput Unavailable(string problem) => new("", OutputEncodings.Utf8, false, 0, problem);
}

/// <summary>Both streams ready for status.</summary>
internal sealed record CollectedOutput(StreamOutput Stdout, StreamOutput Stderr);

/// <summary>
/// Most bytes one stream's status text may take: stored (Go <c>encoding/json</c>, quotes included, see
/// <see cref="JsonSize.GoEscapedLength"/>) and sent (the .NET client's encoding, quotes included).
/// </summary>
internal readonly record struct OutputRoom(long StoredBytes, long SentBytes)
{
    /// <summary>No bound but limits.outputBytes.</summary>
    public static OutputRoom Unlimited { get; } = new(long.MaxValue, long.MaxValue);

    /// <summary>Whether <paramref name="text"/> fits.</summary>
    public bool Fits(string text) =>
        (StoredBytes == long.MaxValue || 2 + JsonSize.GoEscapedLength(text) <= StoredBytes)
        && (SentBytes == long.MaxValue || 2 + JsonSize.SentEscapedLength(text) <= SentBytes);
}

/// <summary>
/// Turns the collector's record into status fields: at most <c>limitBytes</c> bytes of each stream, head and tail with
/// a marker between when longer, cut on UTF-8 character boundaries, base64 when the bytes are not UTF-8 or when JSON
/// escaping would make the text larger than base64 (4/3 of its UTF-8 size) and than 4 KiB, and, given an
/// <see cref="OutputRoom"/>, cut further until the serialised text fits it.
/// </summary>
internal static class OutputDecoder
{
    /// <summary>Decodes the collector's log. Returns null and an error when the log holds no valid record.</summary>
    public static CollectedOutput? Decode(string collectorLog, int limitBytes, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        var record = OutputRecord.Parse(collectorLog, out error);
        if (record is not { } streams)
        {
            return null;
        }

        return new CollectedOutput(ToStatus(streams.Stdout, limitBytes, "stdout"), ToStatus(streams.Stderr, limitBytes, "stderr"));
    }

    /// <summary>The marker put between head and tail.</summary>
    public static string Marker(long omittedBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"\n[... {omittedBytes} bytes omitted by codeexec ...]\n");

    /// <summary>Converts one captured stream to its status form, keeping at most <paramref name="limitBytes"/> bytes of it.</summary>
    public static StreamOutput ToStatus(CapturedStream captured, int limitBytes, string streamName) =>
        ToStatus(captured, limitBytes, streamName, OutputRoom.Unlimited);

    /// <summary>
    /// Converts one captured stream to its status form, keeping at most <paramref name="limitBytes"/> bytes of it, and
    /// fewer when its serialised text would not fit <paramref name="room"/>: then the most bytes whose text fits are
    /// kept (head and tail with the marker; only the marker, or an empty text, when the room is that small), the stream is
    /// marked truncated and <see cref="StreamOutput.CutToFit"/>, and its total byte count stays exact.
    /// </summary>
    public static StreamOutput ToStatus(CapturedStream captured, int limitBytes, string streamName, OutputRoom room)
    {
        ArgumentNullException.ThrowIfNull(captured);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        var whole = Keep(captured, limitBytes, streamName);
        if (room.Fits(whole.Text))
        {
            return whole;
        }

        // The serialised size grows with the bytes kept: find the most that fit (the largest known to fit is in low).
        StreamOutput? best = null;
        int low = 0, high = limitBytes;
        while (high - low > 1)
        {
            var mid = low + ((high - low) / 2);
            var candidate = Keep(captured, mid, streamName);
            if (room.Fits(candidate.Text))
            {
                (low, best) = (mid, candidate);
            }
            else
            {
                high = mid;
            }
        }

        best ??= new StreamOutput("", OutputEncodings.Utf8, captured.TotalBytes > 0, captured.TotalBytes, whole.Problem);
        return best with { Truncated = best.Truncated || captured.TotalBytes > 0, CutToFit = true };
    }

    private static StreamOutput Keep(CapturedStream captured, int limitBytes, string streamName)
    {
        var problem = captured.State switch
        {
            CaptureState.Ok => null,
            CaptureState.Missing => $"{streamName} was never written (the program did not start)",
            CaptureState.Unreadable => $"{streamName} could not be read: the program removed read permission from it",
            _ => $"{streamName} was not collected: the program replaced it with something other than a regular file",
        };

        var head = captured.Head;
        var tail = captured.Tail;
        var kept = (long)head.Length + tail.Length;
        if (captured.TotalBytes == kept && kept <= limitBytes)
        {
            byte[] all = [.. head, .. tail];
            return Utf8.IsValid(all)
                ? AsText(all, false, captured.TotalBytes, problem)
                : new StreamOutput(Convert.ToBase64String(all), OutputEncodings.Base64, false, captured.TotalBytes, problem);
        }

        // Truncated: room for the longest marker this total can need, then half of the rest for each end.
        var budget = Math.Max(0, limitBytes - Encoding.UTF8.GetByteCount(Marker(captured.TotalBytes)));
        var headKeep = Math.Min(head.Length, (budget + 1) / 2);
        var tailKeep = Math.Min(tail.Length, budget - headKeep);
        headKeep = Math.Min(head.Length, budget - tailKeep);

        var headBytes = head.AsSpan(0, headKeep);
        var tailBytes = tail.AsSpan(tail.Length - tailKeep);
        var textHead = headBytes[..CompletePrefixLength(headBytes)];
        var textTail = tailBytes[LeadingContinuationBytes(tailBytes)..];
        if (Utf8.IsValid(textHead) && Utf8.IsValid(textTail))
        {
            var omitted = captured.TotalBytes - textHead.Length - textTail.Length;
            byte[] keptText = [.. textHead, .. Encoding.UTF8.GetBytes(Marker(omitted)), .. textTail];
            return AsText(keptText, true, captured.TotalBytes, problem);
        }

        var omittedBinary = captured.TotalBytes - headBytes.Length - tailBytes.Length;
        byte[] bytes = [.. headBytes, .. Encoding.UTF8.GetBytes(Marker(omittedBinary)), .. tailBytes];
        return new StreamOutput(Convert.ToBase64String(bytes), OutputEncodings.Base64, true, captured.TotalBytes, problem);
    }

    /// <summary>
    /// Escaped size up to which text stays text whatever escaping costs: small output (<c>print("&lt;b&gt;")</c>) stays
    /// readable, and costs at most this much.
    /// </summary>
    public const int AlwaysTextEscapedBytes = 4096;

    /// <summary>
    /// Valid UTF-8 <paramref name="utf8"/> as text, or as base64 when Go's JSON escaping (which the API server stores)
    /// would make it larger than both <see cref="AlwaysTextEscapedBytes"/> and its base64 form: 4/3 of its size
    /// (rounded up to whole groups of 4), never escaped.
    /// </summary>
    private static StreamOutput AsText(byte[] utf8, bool truncated, long totalBytes, string? problem)
    {
        var text = Encoding.UTF8.GetString(utf8);
        var escaped = JsonSize.GoEscapedLength(text);
        return escaped > AlwaysTextEscapedBytes && escaped > (utf8.Length + 2L) / 3 * 4
            ? new StreamOutput(Convert.ToBase64String(utf8), OutputEncodings.Base64, truncated, totalBytes, problem) { Base64ForEscaping = true }
            : new StreamOutput(text, OutputEncodings.Utf8, truncated, totalBytes, problem);
    }

    /// <summary>Length of <paramref name="bytes"/> without a multi-byte character cut off at its end.</summary>
    internal static int CompletePrefixLength(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: look further back for its lead byte
            }

            var needed = b switch
            {
                < 0x80 => 1,
                >= 0xF0 => 4,
                >= 0xE0 => 3,
                >= 0xC0 => 2,
                _ => 1,
            };
            return needed > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }

    /// <summary>Count of continuation bytes (at most 3) at the start of <paramref name="bytes"/>: the rest of a character cut off.</summary>
    internal static int LeadingContinuationBytes(ReadOnlySpan<byte> bytes)
    {
        var count = 0;
        while (count < Math.Min(3, bytes.Length) && (bytes[count] & 0xC0) == 0x80)
        {
            count++;
        }

        return count;
    }
}
