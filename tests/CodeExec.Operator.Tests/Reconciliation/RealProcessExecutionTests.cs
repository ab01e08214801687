using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Executions whose code really runs: the kubelet's process mode starts the rendered Pod's containers as local
/// processes (NO isolation: trusted test code only), so the sandbox wrapper script, the real interpreter and the real
/// collector (this build's <c>codeexec-operator collect</c>) produce the output the operator reads. Nothing is scripted.
/// </summary>
public class RealProcessExecutionTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public virtual async ValueTask InitializeAsync()
    {
        if (!ProgramOnPath("python3") || !ProgramOnPath("sh"))
        {
            Assert.Skip("python3 and sh are needed on PATH to run code in process mode");
        }

        _cluster = await SandboxCluster.StartAsync(CreateRunner());
        var operatorDll = Path.Combine(OperatorDirectory(), "codeexec-operator.dll");
        await _cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Sandbox:CollectorCommand:0"] = "dotnet",
            ["Sandbox:CollectorCommand:1"] = operatorDll,
            ["Sandbox:CollectorCommand:2"] = "collect",
        });
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Python_reads_stdin_and_its_stdout_and_stderr_come_back_separately()
    {
        await _cluster.CreateExecutionAsync("real-hello", spec => spec.Stdin = "codeexec", code: """
            import sys
            name = sys.stdin.read().strip()
            print(f"hello, {name}")
            print("to stderr", file=sys.stderr)
            """);

        var status = (await _cluster.WaitForFinalAsync("real-hello", TimeSpan.FromSeconds(90))).Status!;

        Assert.False(status.Message!.Contains("not collected", StringComparison.Ordinal), status.Message);
        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("hello, codeexec\n", status.Stdout);
        Assert.Equal("to stderr\n", status.Stderr);
        Assert.Equal("utf-8", status.StdoutEncoding);
    }

    [Fact]
    public async Task A_real_exit_code_and_a_real_flood_are_reported_from_the_collector()
    {
        await _cluster.CreateExecutionAsync("real-flood", spec => spec.Limits = new ExecutionLimits { OutputBytes = 1024 }, code: """
            import sys
            for i in range(20000):
                print(f"row {i}")
            sys.exit(4)
            """);

        var status = (await _cluster.WaitForFinalAsync("real-flood", TimeSpan.FromSeconds(90))).Status!;

        var expectedBytes = Enumerable.Range(0, 20000).Sum(i => Encoding.ASCII.GetByteCount($"row {i}\n"));
        Assert.False(status.Message!.Contains("not collected", StringComparison.Ordinal), status.Message);
        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(4, status.ExitCode);
        Assert.True(status.StdoutTruncated);
        Assert.Equal(expectedBytes, status.StdoutBytes);
        Assert.StartsWith("row 0\n", status.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("row 19999\n", status.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The pod runner of the kubelet mode under test.</summary>
    protected virtual IPodRunner CreateRunner() => PodRunners.Process();

    /// <summary>Where the collector's operator build is read from.</summary>
    protected virtual string OperatorDirectory() => AppContext.BaseDirectory;

    private static bool ProgramOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, name)));
}
