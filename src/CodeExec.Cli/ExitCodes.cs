using CodeExec.Api;

namespace CodeExec.Cli;

/// <summary>
/// The exit codes of <c>kubectl codeexec</c>. <c>run</c> exits with the code's own exit code when the code ran; the
/// other endings use the codes of timeout(1) and the shell (124, 125, 126, 130), which code rarely uses itself; as with
/// timeout(1), code that exits with one of them looks the same by the exit code alone (the last stderr line, or the
/// kept execution's status.phase, tells them apart).
/// The other commands exit 0, or <see cref="Error"/> on any failure, like kubectl.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>get, logs, delete and runtimes: the command failed (the message is on stderr).</summary>
    public const int Error = 1;

    /// <summary>The execution ended TimedOut: its limits.timeoutSeconds ran out (timeout(1) exits 124 too).</summary>
    public const int TimedOut = 124;

    /// <summary>The CLI or the operator failed: bad usage, no cluster, the API server refused the CodeExecution, or it ended Failed without a non-zero exit code (the code did not run to an exit: evicted, image pull failure, ...).</summary>
    public const int Failure = 125;

    /// <summary>The execution ended Rejected: the operator refused its spec (unknown runtime, limits over the runtime's maxima, egress not allowed).</summary>
    public const int Rejected = 126;

    /// <summary>Interrupted with Ctrl-C (128 + SIGINT, as the shell reports it).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// The exit code for a final status: the code's exit code when it ran (Succeeded, or Failed with a non-zero exit
    /// code), else 124 for TimedOut, 126 for Rejected and 125 for anything else.
    /// </summary>
    public static int Of(CodeExecutionStatus? status) => status?.Phase switch
    {
        ExecutionPhase.Succeeded => status.ExitCode ?? Success,
        ExecutionPhase.Failed when status.ExitCode is { } code and not 0 => code,
        ExecutionPhase.TimedOut => TimedOut,
        ExecutionPhase.Rejected => Rejected,
        _ => Failure,
    };
}
