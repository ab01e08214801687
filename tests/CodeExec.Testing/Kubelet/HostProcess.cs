using System.Diagnostics;
using CodeExec.Testing.Emulator;

namespace CodeExec.Testing.Kubelet;

/// <summary>Small helpers for the modes that run host processes.</summary>
internal static class HostProcess
{
    /// <summary>Copies a stream to the observer as it arrives, chunk by chunk, until the writer closes it.</summary>
    public static async Task PumpAsync(Stream stream, string container, OutputStreamKind kind, IPodRunObserver observer)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            observer.ContainerOutput(container, kind, buffer.AsSpan(0, read));
        }
    }

    /// <summary>Runs a short command to its end; returns its exit code and stderr.</summary>
    public static (int ExitCode, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr.Result);
    }
}
