using System.Diagnostics;
using CodeExec.Operator.Output;
using Xunit;

namespace CodeExec.Operator.Tests.Commands;

/// <summary>The real binary as the collector sidecar runs it: it waits for SIGTERM, prints the record, exits 0.</summary>
public sealed class CollectProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-collect-process-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Sigterm_makes_the_collector_print_the_record_and_exit_0()
    {
        var cancel = TestContext.Current.CancellationToken;
        var dll = Path.Combine(AppContext.BaseDirectory, "codeexec-operator.dll");
        if (!File.Exists(dll) || !OperatingSystem.IsLinux())
        {
            Assert.Skip("needs the built operator next to the tests, on Linux");
        }

        await File.WriteAllTextAsync(Path.Combine(_dir, "stdout"), "from the code\n", cancel);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "collect", "--dir", _dir, "--limit-bytes", "4096" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var collector = Process.Start(start)!;
        var stdout = collector.StandardOutput.ReadToEndAsync(cancel);
        try
        {
            var ready = await collector.StandardError.ReadLineAsync(cancel);
            Assert.Equal($"collect: waiting for SIGTERM to read {_dir}", ready);
            Assert.False(collector.HasExited);

            using (var kill = Process.Start("kill", ["-TERM", collector.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(cancel);
            }

            await collector.WaitForExitAsync(cancel);
            Assert.Equal(0, collector.ExitCode);
            var output = OutputDecoder.Decode(await stdout, 4096, out var error);
            Assert.True(output is not null, error);
            Assert.Equal("from the code\n", output.Stdout.Text);
            Assert.Contains("stderr was never written", output.Stderr.Problem, StringComparison.Ordinal);
        }
        finally
        {
            if (!collector.HasExited)
            {
                collector.Kill();
            }
        }
    }
}
