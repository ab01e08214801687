namespace CodeExec.Cli;

/// <summary>A failure the CLI reports as one line on stderr (<c>error: </c> and the message), without a stack trace.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
