using System.Diagnostics;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

/// <summary>Runs the rendered wrapper with the local /bin/sh, its sandbox paths pointed at a temporary directory.</summary>
public sealed class WrapperScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-wrapper-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<int> RunWrapper(bool hasStdin, params string[] program)
    {
        if (!File.Exists("/bin/sh"))
        {
            Assert.Skip("/bin/sh is not available here");
        }

        var limits = new EffectiveLimits(60, new ResourceQuantity("1"), new ResourceQuantity("1Gi"), 4096, new ResourceQuantity("1Mi"), 1024);
        var wrapper = SandboxRenderer.WrapperScript(limits, hasStdin, new SandboxOptions { OutputBufferSize = "1Mi" })
            .Replace(SandboxRenderer.OutputDirectory, _dir, StringComparison.Ordinal)
            .Replace(SandboxRenderer.StdinDirectory, _dir, StringComparison.Ordinal);
        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", wrapper, "codeexec" } };
        foreach (var arg in program)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return process.ExitCode;
    }

    [Fact]
    public async Task Program_output_goes_to_the_files_and_its_exit_code_is_kept()
    {
        var exit = await RunWrapper(false, "/bin/sh", "-c", "echo out; echo err >&2; echo \"$1\"; cat; exit 7", "prog", "$(not run)");

        Assert.Equal(7, exit);
        Assert.Equal("out\n$(not run)\n", await File.ReadAllTextAsync(Path.Combine(_dir, "stdout"), TestContext.Current.CancellationToken));
        Assert.Equal("err\n", await File.ReadAllTextAsync(Path.Combine(_dir, "stderr"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Stdin_comes_from_the_mounted_file()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "stdin"), "42\n", TestContext.Current.CancellationToken);

        Assert.Equal(0, await RunWrapper(true, "/bin/cat"));
        Assert.Equal("42\n", await File.ReadAllTextAsync(Path.Combine(_dir, "stdout"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_file_size_limit_stops_a_flood()
    {
        var exit = await RunWrapper(false, "/bin/sh", "-c", "head -c 3000000 /dev/zero");

        Assert.NotEqual(0, exit);
        Assert.Equal(2048 * 512, new FileInfo(Path.Combine(_dir, "stdout")).Length); // 1Mi in 512-byte blocks
    }
}
