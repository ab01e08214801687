using System.Diagnostics;
using System.Xml.Linq;
using CodeExec.Testing.RealApiServer;

namespace CodeExec.Api.Tests;

/// <summary>The console tool end to end: `CodeExec.CrdGen &lt;dir&gt;` as `make crds` runs it.</summary>
public sealed class CrdGenToolTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_tool_writes_the_committed_crds()
    {
        var output = Directory.CreateTempSubdirectory("crdgen-");
        try
        {
            var (exitCode, stderr) = await RunToolAsync(AppContext.BaseDirectory, output.FullName);

            Assert.True(exitCode == 0, stderr);
            var committed = Path.Combine(RepositoryRoot.Find(), "crds");
            foreach (var file in new[] { "codeexec.dev_codeexecutions.yaml", "codeexec.dev_coderuntimes.yaml" })
            {
                Assert.Equal(
                    await File.ReadAllTextAsync(Path.Combine(committed, file), Cancel),
                    await File.ReadAllTextAsync(Path.Combine(output.FullName, file), Cancel));
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_tool_exits_non_zero_naming_an_undocumented_field()
    {
        // A copy of the tool whose CodeExec.Api.xml lost the doc comment of ExecutionLimits.Processes.
        var copy = Directory.CreateTempSubdirectory("crdgen-tool-");
        try
        {
            foreach (var file in Directory.GetFiles(AppContext.BaseDirectory)
                         .Where(f => f.EndsWith(".dll", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("CodeExec.CrdGen.", StringComparison.Ordinal)))
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            var xml = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "CodeExec.Api.xml"));
            xml.Descendants("member").Single(m => (string?)m.Attribute("name") == "P:CodeExec.Api.ExecutionLimits.Processes").Remove();
            xml.Save(Path.Combine(copy.FullName, "CodeExec.Api.xml"));

            var (exitCode, stderr) = await RunToolAsync(copy.FullName, Path.Combine(copy.FullName, "out"));

            Assert.Equal(1, exitCode);
            Assert.Contains("CodeExecution.spec.limits.processes", stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(copy.FullName, "out")), "nothing is written when generation fails");
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Stderr)> RunToolAsync(string toolDirectory, string outputDirectory)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(toolDirectory, "CodeExec.CrdGen.dll"));
        start.ArgumentList.Add(outputDirectory);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        var stderr = process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
