using System.Diagnostics;

namespace CodeExec.Testing.Tools;

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

/// <summary>Runs command-line tools (helm, kubectl, shellcheck, bash) for the tests, with a deadline.</summary>
public static class ToolRunner
{
    /// <summary>
    /// Runs <paramref name="executable"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, with
    /// <paramref name="environment"/> added to this process's environment, and waits for it at most
    /// <paramref name="timeout"/>; then the process tree is killed and <see cref="TimeoutException"/> thrown
    /// (<see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ended the wait).
    /// </summary>
    public static async Task<ToolResult> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
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
