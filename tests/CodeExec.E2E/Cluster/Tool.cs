using System.Diagnostics;
using CodeExec.DevCluster.Cluster;

namespace CodeExec.E2E.Cluster;

/// <summary>The result of a command-line tool run to completion.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="Stdout">Everything it printed on stdout.</param>
/// <param name="Stderr">Everything it printed on stderr.</param>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Stderr, else stdout, trimmed: what to quote when the run failed.</summary>
    public string Output => (Stderr.Trim().Length > 0 ? Stderr : Stdout).Trim();
}

/// <summary>Runs a command-line tool (helm) in the repository root, with a deadline.</summary>
internal static class Tool
{
    /// <summary>
    /// Runs <paramref name="executable"/> with <paramref name="arguments"/> and waits for it, at most
    /// <paramref name="timeout"/>; on timeout the process tree is killed and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static async Task<ToolResult> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = RepositoryLayout.Find().Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(executable)} {string.Join(' ', start.ArgumentList)} did not end within {timeout}");
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
