using System.Diagnostics;
using CodeExec.Testing.Tools;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>The result of running a command-line tool to completion.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs command-line tools (kubectl, helm): the ones hack/tools.sh caches, else the ones on PATH.</summary>
internal static class ExternalTool
{
    /// <summary>The full path of <paramref name="name"/> (see <see cref="CachedTools.Find"/>), or null when it is not installed.</summary>
    public static string? Find(string name) => CachedTools.Find(name);

    /// <summary>The full path of <paramref name="name"/>; skips the calling test with the reason when it is not installed.</summary>
    public static string Require(string name, string purpose)
    {
        var path = Find(name);
        if (path is null)
        {
            Assert.Skip($"{CachedTools.MissingReason(name)}: {purpose}");
        }

        return path;
    }

    /// <summary>Runs the tool in the repository root and waits for it to exit.</summary>
    public static ToolResult Run(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = RepositoryFiles.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new ToolResult(process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }
}
