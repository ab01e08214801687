using CodeExec.Api;

namespace CodeExec.DevCluster.Samples;

/// <summary>
/// What a sample is designed to end with. The samples show different endings on purpose: hello-bash exits 3 to show
/// stderr and a non-zero exit code, timeout-loop runs past its timeout, big-output floods its output limit,
/// memory-bomb is killed at its memory limit.
/// </summary>
/// <param name="Phase">The final phase.</param>
/// <param name="ExitCode">The exit code, when the sample fixes one.</param>
/// <param name="StdoutTruncated">Whether stdout must have been truncated, when the sample is about that.</param>
/// <param name="StdoutContains">Text stdout must contain, when the sample prints something known.</param>
/// <param name="Reason">The final reason, when the sample is about one.</param>
public sealed record SampleExpectation(string Phase, int? ExitCode = null, bool? StdoutTruncated = null, string? StdoutContains = null, string? Reason = null)
{
    private static readonly Dictionary<string, SampleExpectation> Known = new(StringComparer.Ordinal)
    {
        ["hello-python"] = new(ExecutionPhase.Succeeded, ExitCode: 0, StdoutContains: "hello, codeexec"),
        ["hello-node"] = new(ExecutionPhase.Succeeded, ExitCode: 0, StdoutContains: "hello, node"),
        ["hello-bash"] = new(ExecutionPhase.Failed, ExitCode: 3, StdoutContains: "hello, bash"),
        ["timeout-loop"] = new(ExecutionPhase.TimedOut),
        ["big-output"] = new(ExecutionPhase.Succeeded, ExitCode: 0, StdoutTruncated: true),
        ["memory-bomb"] = new(ExecutionPhase.Failed, ExitCode: 137, StdoutContains: "allocating", Reason: ExecutionReason.OOMKilled),
    };

    /// <summary>The expectation of the sample named <paramref name="name"/>; a sample not listed here must succeed.</summary>
    public static SampleExpectation For(string name) =>
        Known.TryGetValue(name, out var expectation) ? expectation : new SampleExpectation(ExecutionPhase.Succeeded);

    /// <summary>Every way <paramref name="status"/> differs from this expectation; empty when it ended as designed.</summary>
    public IReadOnlyList<string> Differences(CodeExecutionStatus? status)
    {
        if (status is null)
        {
            return ["no status"];
        }

        var differences = new List<string>();
        if (status.Phase != Phase)
        {
            differences.Add($"phase {status.Phase ?? "(none)"}, expected {Phase}");
        }

        if (Reason is { } reason && status.Reason != reason)
        {
            differences.Add($"reason {status.Reason ?? "(none)"}, expected {reason}");
        }

        if (ExitCode is { } exitCode && status.ExitCode != exitCode)
        {
            differences.Add($"exit code {status.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}, expected {exitCode}");
        }

        if (StdoutTruncated is { } truncated && (status.StdoutTruncated ?? false) != truncated)
        {
            differences.Add(truncated ? "stdout not truncated, expected truncated" : "stdout truncated, expected whole");
        }

        if (StdoutContains is { } text && !(status.Stdout ?? "").Contains(text, StringComparison.Ordinal))
        {
            differences.Add($"stdout lacks \"{text}\"");
        }

        return differences;
    }

    /// <summary>Phases after which an execution never changes again.</summary>
    public static bool IsFinal(string? phase) =>
        phase is ExecutionPhase.Succeeded or ExecutionPhase.Failed or ExecutionPhase.TimedOut or ExecutionPhase.Rejected;
}
