using System.Text;
using CodeExec.Api;
using CodeExec.Cli.Formatting;

namespace CodeExec.Cli.Tests.Formatting;

public sealed class ExecutionOutputTests
{
    [Fact]
    public void Utf8_text_gives_its_bytes_and_base64_its_decoded_bytes()
    {
        Assert.Equal(Encoding.UTF8.GetBytes("héllo ✓\n"), ExecutionOutput.Bytes("héllo ✓\n", "utf-8", "stdout"));
        Assert.Equal(Encoding.UTF8.GetBytes("plain"), ExecutionOutput.Bytes("plain", null, "stdout"));
        Assert.Equal(new byte[] { 0xff, 0x00, 0x80 }, ExecutionOutput.Bytes(Convert.ToBase64String([0xff, 0x00, 0x80]), "base64", "stdout"));
        Assert.Empty(ExecutionOutput.Bytes(null, "base64", "stdout"));
    }

    [Fact]
    public void A_stream_marked_base64_that_is_not_is_an_error()
    {
        var e = Assert.Throws<CliException>(() => ExecutionOutput.Bytes("not base64!", "base64", "stderr"));
        Assert.Equal("status.stderr is marked base64 but is not base64", e.Message);
    }

    [Fact]
    public void Write_puts_each_stream_on_its_own_and_warns_once_per_truncated_stream()
    {
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var console = new CliConsole(Stream.Null, output, error);

        ExecutionOutput.Write(console, new CodeExecutionStatus
        {
            Stdout = "head\n[... 99 bytes omitted by codeexec ...]\ntail\n",
            StdoutTruncated = true,
            StdoutBytes = 120,
            Stderr = "err\n",
            StderrTruncated = false,
            OutputBytes = 1024,
        });

        Assert.Equal("head\n[... 99 bytes omitted by codeexec ...]\ntail\n", Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal("err\nwarning: stdout truncated: the code wrote 120 bytes; printed are its head and tail, 49 bytes with the omission marker (limits.outputBytes 1024)\n",
            Encoding.UTF8.GetString(error.ToArray()));
    }

    [Theory]
    [InlineData(true, "\u001b[8m\u001b]0;fake title", "\u001b[8m\u001b]0;fake title\u001b\\\u001b[0m\nwarning: stderr truncated")]
    [InlineData(true, "ends with a newline\n", "ends with a newline\n\u001b\\\u001b[0mwarning: stderr truncated")]
    [InlineData(false, "\u001b[8m\u001b]0;fake title", "\u001b[8m\u001b]0;fake title" + "warning: stderr truncated")]
    public void On_a_terminal_the_CLIs_own_line_after_the_code_ends_what_the_code_left_open(bool terminal, string codeStderr, string expectedStart)
    {
        // Code that hides text (ESC [8m) and opens a window title (ESC ]0;) without ending it would swallow the next line.
        using var error = new MemoryStream();
        var console = new CliConsole(Stream.Null, Stream.Null, error) { ErrorIsTerminal = terminal };

        ExecutionOutput.Write(console, new CodeExecutionStatus
        {
            Stderr = codeStderr,
            StderrTruncated = true,
            StderrBytes = 5000,
            OutputBytes = 1024,
        });

        Assert.StartsWith(expectedStart, Encoding.UTF8.GetString(error.ToArray()), StringComparison.Ordinal);
    }
}
