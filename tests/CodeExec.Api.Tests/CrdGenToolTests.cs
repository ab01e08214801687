using System.Diagnostics;
using CodeExec.Testing.RealApiServer;

namespace CodeExec.Api.Tests;

/// <summary>The console tool end to end: `CodeExec.CrdGen &lt;dir&gt;` writes the same files as the committed crds/.</summary>
public sealed class CrdGenToolTests
{
    [Fact]
    public async Task The_tool_writes_the_committed_crds()
    {
        var output = Directory.CreateTempSubdirectory("crdgen-");
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CodeExec.CrdGen.dll"));
            start.ArgumentList.Add(output.FullName);
            using var process = Process.Start(start)!;
            var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);

            Assert.True(process.ExitCode == 0, stderr);
            var committed = Path.Combine(RepositoryRoot.Find(), "crds");
            foreach (var file in new[] { "codeexec.dev_codeexecutions.yaml", "codeexec.dev_coderuntimes.yaml" })
            {
                Assert.Equal(
                    await File.ReadAllTextAsync(Path.Combine(committed, file), TestContext.Current.CancellationToken),
                    await File.ReadAllTextAsync(Path.Combine(output.FullName, file), TestContext.Current.CancellationToken));
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
