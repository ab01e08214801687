using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Operator.Output;
using Xunit;

namespace CodeExec.Operator.Tests.Output;

/// <summary>The serialised size of status text: Go's escaping rules (what etcd stores), base64 when cheaper, and the room fit.</summary>
public sealed class OutputSizeTests
{
    private static CapturedStream Capture(byte[] data, int limit)
    {
        var buffer = new HeadTailBuffer(limit);
        buffer.Append(data);
        return new CapturedStream(CaptureState.Ok, buffer.TotalBytes, buffer.Head(), buffer.Tail());
    }

    [Theory]
    [InlineData("plain text 123", 14)]
    [InlineData("<>&", 18)]                 // HTML escaping on: \u003c \u003e \u0026
    [InlineData("\u0001\u001f\u0000", 18)]  // other control characters: \u00XX
    [InlineData("\n\r\t\"\\", 10)]          // two-byte escapes
    [InlineData("\b\f", 12)]                // \u0008 \u000c before Go 1.22, \b \f since: the larger is counted
    [InlineData("\u2028\u2029", 12)]        // always escaped by encoding/json
    [InlineData("é€😀", 9)]                 // UTF-8 bytes, not escaped
    [InlineData("+/=", 3)]                  // base64's alphabet is never escaped
    public void Go_escaped_length_follows_encoding_json(string value, long expected) =>
        Assert.Equal(expected, JsonSize.GoEscapedLength(value));

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("<", 6)]
    [InlineData("+", 6)]
    [InlineData("€", 6)]
    [InlineData("😀", 12)]
    public void The_client_sends_some_characters_larger_than_Go_stores_them(string value, long expected) =>
        Assert.Equal(expected, JsonSize.SentEscapedLength(value));

    [Fact]
    public void Go_encoded_length_of_a_document_is_its_compact_form()
    {
        var node = JsonNode.Parse("""{"a": [1, true, null, "x<"], "b": {}, "c": {"d": -2.5e3, "e": []}}""");
        var compact = node!.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        // The same compact text, with "<" as Go writes it (6 bytes instead of 1).
        Assert.Equal(Encoding.UTF8.GetByteCount(compact) + 5, JsonSize.GoEncodedLength(node));
    }

    [Fact]
    public void The_finding_6_stdout_of_angle_brackets_is_base64_and_costs_no_more_than_base64()
    {
        var bytes = Encoding.ASCII.GetBytes(new string('<', 262144));

        var stdout = OutputDecoder.ToStatus(Capture(bytes, 262144), 262144, "stdout");

        Assert.Equal((OutputEncodings.Base64, false, 262144L, true), (stdout.Encoding, stdout.Truncated, stdout.TotalBytes, stdout.Base64ForEscaping));
        Assert.Equal(bytes, Convert.FromBase64String(stdout.Text));
        Assert.Equal((262144 + 2) / 3 * 4, JsonSize.GoEscapedLength(stdout.Text));
    }

    [Fact]
    public void The_finding_6_stderr_of_control_characters_is_base64_also_when_truncated()
    {
        var bytes = Enumerable.Repeat((byte)1, 1_000_000).ToArray();

        var stderr = OutputDecoder.ToStatus(Capture(bytes, 262144), 262144, "stderr");

        Assert.Equal((OutputEncodings.Base64, true, 1_000_000L), (stderr.Encoding, stderr.Truncated, stderr.TotalBytes));
        var decoded = Convert.FromBase64String(stderr.Text);
        Assert.True(decoded.Length <= 262144);
        Assert.Contains("bytes omitted by codeexec", Encoding.ASCII.GetString(decoded), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2\n")]
    [InlineData("hello, world\n")]
    [InlineData("if a < b && c > d:\n\tprint(\"x\")\n")]  // escaped: 56 bytes, more than base64 but small
    [InlineData("naïve café 😀\n")]
    public void Ordinary_text_stays_text(string text)
    {
        var stream = OutputDecoder.ToStatus(Capture(Encoding.UTF8.GetBytes(text), 1024), 1024, "stdout");

        Assert.Equal(new StreamOutput(text, OutputEncodings.Utf8, false, Encoding.UTF8.GetByteCount(text), null), stream);
    }

    [Fact]
    public void Text_is_base64_only_past_the_always_text_size()
    {
        var small = Encoding.ASCII.GetBytes(new string('<', OutputDecoder.AlwaysTextEscapedBytes / 6));
        var large = Encoding.ASCII.GetBytes(new string('<', (OutputDecoder.AlwaysTextEscapedBytes / 6) + 1));

        Assert.Equal(OutputEncodings.Utf8, OutputDecoder.ToStatus(Capture(small, 65536), 65536, "stdout").Encoding);
        Assert.Equal(OutputEncodings.Base64, OutputDecoder.ToStatus(Capture(large, 65536), 65536, "stdout").Encoding);
    }

    [Fact]
    public void A_stream_cut_to_fit_its_room_keeps_head_tail_and_its_true_count()
    {
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));
        var captured = Capture(Encoding.UTF8.GetBytes(text), 65536);
        var room = new OutputRoom(StoredBytes: 10_000, SentBytes: 10_000);

        var stream = OutputDecoder.ToStatus(captured, 65536, "stdout", room);

        Assert.True(room.Fits(stream.Text));
        Assert.True(2 + JsonSize.GoEscapedLength(stream.Text) > 9_000, "nearly all of the room is used");
        Assert.Equal((OutputEncodings.Utf8, true, true, (long)Encoding.UTF8.GetByteCount(text)), (stream.Encoding, stream.Truncated, stream.CutToFit, stream.TotalBytes));
        Assert.StartsWith("line 0\nline 1\n", stream.Text, StringComparison.Ordinal);
        Assert.EndsWith("line 19999\n", stream.Text, StringComparison.Ordinal);
        Assert.Contains(" bytes omitted by codeexec ...]", stream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sent_size_is_a_bound_too()
    {
        // Non-ASCII text costs its UTF-8 bytes stored but six bytes a character as the .NET client sends it.
        var text = string.Concat(Enumerable.Repeat("€", 5000));
        var room = new OutputRoom(StoredBytes: long.MaxValue, SentBytes: 6002);

        var stream = OutputDecoder.ToStatus(Capture(Encoding.UTF8.GetBytes(text), 65536), 65536, "stdout", room);

        Assert.True(JsonSize.SentEscapedLength(stream.Text) + 2 <= 6002);
        Assert.True(stream.Truncated && stream.CutToFit);
        Assert.Equal(15000, stream.TotalBytes);
    }

    [Fact]
    public void A_room_smaller_than_the_marker_leaves_an_empty_truncated_text()
    {
        var stream = OutputDecoder.ToStatus(Capture(new byte[5000], 65536), 65536, "stdout", new OutputRoom(10, 10));

        Assert.Equal(("", true, true, 5000L), (stream.Text, stream.Truncated, stream.CutToFit, stream.TotalBytes));
    }

    [Fact]
    public void Output_that_fits_its_room_is_unchanged()
    {
        var captured = Capture("hello\n"u8.ToArray(), 1024);

        Assert.Equal(OutputDecoder.ToStatus(captured, 1024, "stdout"), OutputDecoder.ToStatus(captured, 1024, "stdout", new OutputRoom(100, 100)));
    }
}
