using System.Text;

namespace CodeExec.Cli;

/// <summary>
/// The standard streams and environment of one CLI invocation: the process's own in <c>Program</c>, captured ones in
/// tests. Text (tables, progress, errors) goes through <see cref="Out"/> and <see cref="Error"/> as UTF-8; the code's
/// output is written as bytes with <see cref="WriteOutput"/> and <see cref="WriteError"/>, exactly as the code wrote it.
/// </summary>
internal sealed class CliConsole
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly Stream _output;
    private readonly Stream _error;
    private readonly Func<string, string?> _environment;
    private byte? _lastCodeByte;

    /// <param name="input">Standard input (the code when the file argument is <c>-</c>).</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="environment">Reads an environment variable (KUBECONFIG, HOME); the process environment when null.</param>
    public CliConsole(Stream input, Stream output, Stream error, Func<string, string?>? environment = null)
    {
        Input = input;
        _output = output;
        _error = error;
        _environment = environment ?? System.Environment.GetEnvironmentVariable;
        Out = new StreamWriter(output, Utf8, bufferSize: 4096, leaveOpen: true) { AutoFlush = true };
        Error = new StreamWriter(error, Utf8, bufferSize: 4096, leaveOpen: true) { AutoFlush = true };
    }

    public Stream Input { get; }

    /// <summary>
    /// Standard error is a terminal (not redirected): the code's output may then leave it in a state (hidden text, an
    /// unterminated title or other control string, no final newline) that would swallow or disguise the CLI's own
    /// lines; <see cref="StartOwnLine"/> undoes that first.
    /// </summary>
    public bool ErrorIsTerminal { get; init; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>The value of the environment variable <paramref name="name"/>, or null when unset.</summary>
    public string? Environment(string name) => _environment(name);

    /// <summary>Writes <paramref name="bytes"/> to standard output unchanged.</summary>
    public void WriteOutput(ReadOnlySpan<byte> bytes) => WriteBytes(Out, _output, bytes);

    /// <summary>Writes <paramref name="bytes"/> to standard error unchanged.</summary>
    public void WriteError(ReadOnlySpan<byte> bytes) => WriteBytes(Error, _error, bytes);

    /// <summary>
    /// Call before a line of the CLI's own that follows the code's output on standard error. On a terminal, after code
    /// output: ESC \ (string terminator: ends an OSC, DCS or APC string the code left open, such as a window title that
    /// would swallow the line), ESC [0m (resets attributes, hidden text included), and a newline when the code's last
    /// byte was not one. Nothing when standard error is redirected, so captured output stays exact.
    /// </summary>
    public void StartOwnLine()
    {
        if (!ErrorIsTerminal || _lastCodeByte is null)
        {
            return;
        }

        Error.Write(_lastCodeByte == (byte)'\n' ? "\u001b\\\u001b[0m" : "\u001b\\\u001b[0m\n");
        _lastCodeByte = (byte)'\n';
    }

    private void WriteBytes(TextWriter writer, Stream stream, ReadOnlySpan<byte> bytes)
    {
        writer.Flush();
        stream.Write(bytes);
        stream.Flush();
        if (!bytes.IsEmpty)
        {
            _lastCodeByte = bytes[^1];
        }
    }
}
