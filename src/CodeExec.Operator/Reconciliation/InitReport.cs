using System.Globalization;
using CodeExec.Api;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// The last line codeexec-init writes to its own stderr, which is the code container's log:
/// <c>codeexec-init: ended exit=N elapsed_ms=N peak_memory_bytes=N memory_limit_bytes=N memory_limit_hit=0|1
/// tmp_used_bytes=N tmp_size_bytes=N tmp_full=0|1 timed_out=0|1</c> (src/CodeExec.Init/README.md). The code's streams
/// are files and the init's descriptors are not inherited; on Linux the non-dumpable init's <c>/proc/1/fd</c> is closed
/// to the same-UID code (gVisor before its December 2025 procfs fix does not check that). Either way the report is the
/// log's last line, written after the whole tree is dead and after a newline, and only the last line is read. So the
/// report is a fact the code cannot forge, like the kubelet's exit code and timestamps; it can only make it true (use
/// the memory, fill /tmp).
/// </summary>
/// <param name="ExitCode">The init's exit status: the program's, or 124 for a timeout.</param>
/// <param name="PeakMemoryBytes">The most memory the tree held (sampled resident memory plus /tmp's contents, or the largest process's peak RSS), in bytes.</param>
/// <param name="MemoryLimitBytes">The limit it watched (<c>--memory</c>), in bytes; -1 when none.</param>
/// <param name="MemoryLimitHit">True when the tree reached the limit and the init SIGKILLed it.</param>
/// <param name="TmpUsedBytes">What /tmp held when the program ended, in bytes; -1 when /tmp is not the Pod's tmpfs.</param>
/// <param name="TmpSizeBytes">/tmp's size, in bytes; -1 when unknown.</param>
/// <param name="TmpFull">True when less than 1% (at least 64 KiB) of /tmp was left when the program ended.</param>
internal sealed record InitReport(
    int ExitCode,
    long PeakMemoryBytes,
    long MemoryLimitBytes,
    bool MemoryLimitHit,
    long TmpUsedBytes,
    long TmpSizeBytes,
    bool TmpFull)
{
    /// <summary>The prefix of the report line.</summary>
    public const string Prefix = "codeexec-init: ended ";

    /// <summary>How many of the code container's last log lines are read (the init writes a few at most).</summary>
    public const int LogTailLines = 20;

    /// <summary>The most bytes of the code container's log that are read.</summary>
    public const int LogLimitBytes = 16 * 1024;

    /// <summary>
    /// The report in <paramref name="log"/> (the code container's log): its last non-empty line, when that starts with
    /// <see cref="Prefix"/>. The init writes the report last, on a line of its own (after a newline), so a line
    /// anything else wrote earlier is never taken for it. Null when the last line is not a report or does not parse (an
    /// init killed before it could write it).
    /// </summary>
    public static InitReport? Parse(string? log)
    {
        if (string.IsNullOrEmpty(log))
        {
            return null;
        }

        var line = log.Split('\n').LastOrDefault(l => l.Length > 0);
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !long.TryParse(pair.AsSpan(equals + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            fields[pair[..equals]] = value;
        }

        long Field(string name) => fields.TryGetValue(name, out var value) ? value : -1;
        if (Field("exit") is < 0 or > 255)
        {
            return null;
        }

        return new InitReport((int)Field("exit"), Field("peak_memory_bytes"), Field("memory_limit_bytes"), Field("memory_limit_hit") == 1,
            Field("tmp_used_bytes"), Field("tmp_size_bytes"), Field("tmp_full") == 1);
    }

    /// <summary>
    /// The outcome with what the report adds, for a code container the kubelet saw end by itself (reason Completed or
    /// Error) with the report's exit code: a memory kill becomes Failed <see cref="ExecutionReason.OOMKilled"/> (on a
    /// gVisor node the kubelet never reports it for one container: the container's limit is not enforced inside the
    /// sandbox, the init enforces it), and a full /tmp is said in the message. Any other outcome (a timeout, a deleted
    /// Pod, the kubelet's own OOMKilled) is returned as it is, as is every outcome when <paramref name="report"/> is null.
    /// </summary>
    public static PodObservation Apply(PodObservation outcome, InitReport? report)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (report is null || outcome.Reason is not (ExecutionReason.Completed or ExecutionReason.Error) || outcome.ExitCode != report.ExitCode)
        {
            return outcome;
        }

        if (report.MemoryLimitHit)
        {
            outcome = outcome with
            {
                Phase = ExecutionPhase.Failed,
                Reason = ExecutionReason.OOMKilled,
                Message = string.Create(CultureInfo.InvariantCulture,
                    $"the code used more than its memory limit of {Quantities.FormatBytes(report.MemoryLimitBytes)} (its processes' resident memory plus what /tmp holds; {Quantities.FormatBytes(report.PeakMemoryBytes)} seen) and was killed"),
            };
        }

        if (report.TmpFull)
        {
            outcome = outcome with
            {
                Message = outcome.Message + string.Create(CultureInfo.InvariantCulture,
                    $"; /tmp was full when the code ended ({Quantities.FormatBytes(report.TmpUsedBytes)} of its {Quantities.FormatBytes(report.TmpSizeBytes)}, limits.tmpSize): writes to it failed with \"No space left on device\""),
            };
        }

        return outcome;
    }
}
