using System.Globalization;
using System.Text;
using CodeExec.Api;

namespace CodeExec.Cli.Formatting;

/// <summary>Writes an execution's captured output back as the bytes the code wrote.</summary>
internal static class ExecutionOutput
{
    /// <summary>
    /// The bytes of a status stream: base64-decoded when its encoding is <c>base64</c> (the code wrote bytes that are not
    /// UTF-8), else the text's UTF-8 bytes (which are the bytes written, as the operator keeps only valid UTF-8 as text).
    /// </summary>
    /// <exception cref="CliException">The encoding is base64 and the text is not.</exception>
    public static byte[] Bytes(string? text, string? encoding, string stream)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        if (encoding != "base64")
        {
            return Encoding.UTF8.GetBytes(text);
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new CliException($"status.{stream} is marked base64 but is not base64", e);
        }
    }

    /// <summary>
    /// Writes status.stdout to standard output and status.stderr to standard error, then one warning line on standard
    /// error for each stream the operator truncated, with the number of bytes the code wrote.
    /// </summary>
    public static void Write(CliConsole console, CodeExecutionStatus? status)
    {
        if (status is null)
        {
            return;
        }

        var stdout = Bytes(status.Stdout, status.StdoutEncoding, "stdout");
        var stderr = Bytes(status.Stderr, status.StderrEncoding, "stderr");
        console.WriteOutput(stdout);
        console.WriteError(stderr);
        if (status.StdoutTruncated == true)
        {
            console.StartOwnLine();
            console.Error.WriteLine(TruncationWarning("stdout", status.StdoutBytes, stdout.Length, status.OutputBytes));
        }

        if (status.StderrTruncated == true)
        {
            console.StartOwnLine();
            console.Error.WriteLine(TruncationWarning("stderr", status.StderrBytes, stderr.Length, status.OutputBytes));
        }
    }

    /// <summary>The warning for a truncated stream: the bytes the code wrote, the bytes printed (head, marker, tail), the limit.</summary>
    public static string TruncationWarning(string stream, long? written, int kept, int? limit) => string.Create(CultureInfo.InvariantCulture,
        $"warning: {stream} truncated: the code wrote {(written is { } w ? w.ToString(CultureInfo.InvariantCulture) : "more")} bytes; printed are its head and tail, {kept} bytes with the omission marker (limits.outputBytes {(limit is { } l ? l.ToString(CultureInfo.InvariantCulture) : "of the runtime")})");
}
