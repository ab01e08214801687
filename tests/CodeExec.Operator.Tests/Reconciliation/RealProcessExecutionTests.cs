using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet;
using k8s.Models;
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

    /// <summary>The cluster of the test.</summary>
    private protected SandboxCluster Cluster => _cluster;

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
    public async Task Args_and_env_values_with_dollar_references_reach_the_program_as_written()
    {
        // The kubelet expands $(VAR) and $$ in a container's command and args (expandContainerCommandAndArgs): the
        // renderer escapes the user's values so that $(HOME) is not replaced by the container's HOME.
        await _cluster.CreateExecutionAsync("real-dollar", spec =>
        {
            spec.Args = ["$(HOME)", "$$", "a$b", "$("];
            spec.Env = [new EnvVar { Name = "DOLLARS", Value = "$(HOME) $$(TMPDIR) $" }];
        }, code: """
            import os, sys
            print("|".join(sys.argv[1:]))
            print(os.environ["DOLLARS"])
            """);

        var status = (await _cluster.WaitForFinalAsync("real-dollar", TimeSpan.FromSeconds(90))).Status!;

        Assert.True(status.Phase == ExecutionPhase.Succeeded, status.Message + " / " + status.Stderr);
        Assert.Equal("$(HOME)|$$|a$b|$(\n$(HOME) $$(TMPDIR) $\n", status.Stdout);
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

    [Fact]
    public async Task Zombies_are_reaped_so_a_hundred_short_background_commands_fit_in_sixteen_processes()
    {
        // Without an init the orphaned sleeps would stay zombies of the program (PID 1) and count against the limit.
        // (Process mode runs as the test's user; the limit binds only when that is not root: see CodeExecInitTests.)
        await _cluster.CreateExecutionAsync("real-zombies", spec => spec.Limits = new ExecutionLimits { Processes = 16 }, code: """
            import subprocess
            for i in range(100):
                subprocess.run(["sh", "-c", "sleep 0 &"], check=True)
            print("ran", i + 1)
            """);

        var status = (await _cluster.WaitForFinalAsync("real-zombies", TimeSpan.FromSeconds(120))).Status!;

        Assert.True(status.Phase == ExecutionPhase.Succeeded, status.Message + " / " + status.Stderr);
        Assert.Equal("ran 100\n", status.Stdout);
    }

    [Fact]
    public async Task A_program_that_sends_itself_SIGKILL_ends_137_and_keeps_what_it_printed()
    {
        await _cluster.CreateExecutionAsync("real-sigkill", code: """
            import os, signal
            print("before", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
            """);

        var status = (await _cluster.WaitForFinalAsync("real-sigkill", TimeSpan.FromSeconds(90))).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 137), (status.Phase, status.Reason, status.ExitCode));
        Assert.Contains("SIGKILL", status.Message, StringComparison.Ordinal);
        Assert.Equal("before\n", status.Stdout);
    }

    [Fact]
    public async Task The_timeout_counts_from_the_codes_start_and_ends_it_TimedOut_with_its_output()
    {
        await _cluster.CreateExecutionAsync("real-timeout", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 8 }, code: """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # codeexec-init follows with SIGKILL after its grace
            print("started", flush=True)
            time.sleep(60)
            """);

        var execution = await _cluster.WaitForFinalAsync("real-timeout", TimeSpan.FromSeconds(120));
        var status = execution.Status!;

        Assert.Equal((ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, 124), (status.Phase, status.Reason, status.ExitCode));
        Assert.Contains("timeout of 8s (counted from its start)", status.Message, StringComparison.Ordinal);
        Assert.Equal("started\n", status.Stdout);
        Assert.InRange(status.DurationMs!.Value, 7000, 60_000);
        var pod = await _cluster.GetPodAsync(status.PodName!);
        Assert.True(pod is null || pod.Spec.ActiveDeadlineSeconds > 8, "activeDeadlineSeconds is only the backstop");
    }

    [Fact]
    public async Task Output_over_the_output_buffer_ends_OutputLimitExceeded_with_head_and_tail_kept()
    {
        // 20 MiB in 1 MiB writes against the 16Mi buffer: in gVisor mode the volume fills (ENOSPC, Python exits 1);
        // in process mode the volume is a host folder and the writes succeed, and the sizes alone tell the story.
        await _cluster.CreateExecutionAsync("real-outflood", spec => spec.Limits = new ExecutionLimits { OutputBytes = 1024 }, code: """
            import sys
            print("first", flush=True)
            for i in range(20):
                sys.stdout.buffer.write(b"x" * (1 << 20))
                sys.stdout.flush()
            """);

        var status = (await _cluster.WaitForFinalAsync("real-outflood", TimeSpan.FromSeconds(180))).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.OutputLimitExceeded), (status.Phase, status.Reason));
        Assert.StartsWith("the code wrote more output than the output buffer holds (16Mi for stdout and stderr together", status.Message, StringComparison.Ordinal);
        Assert.StartsWith("first\n", status.Stdout, StringComparison.Ordinal);
        Assert.True(status.StdoutTruncated);
        Assert.InRange(status.StdoutBytes!.Value, (16 * 1024 * 1024) - FinalStatusBuilder.OutputBufferSlackBytes, 21 * 1024 * 1024);
    }

    [Fact]
    public async Task A_memory_bomb_ends_OOMKilled_from_codeexec_inits_report_and_keeps_its_output_and_the_collector()
    {
        // Under gVisor the container's limit is not enforced inside the Pod's sandbox: without codeexec-init the kubelet
        // would report exit 1 (MemoryError), or the collector would starve. The init holds the code to its limit and
        // says so in its own log, the code container's, which the operator reads.
        await _cluster.CreateExecutionAsync("real-membomb", spec => spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity("96Mi") }, code: """
            print("before", flush=True)
            hoard = []
            while True:
                hoard.append(bytearray(4 << 20))
            """);

        var status = (await _cluster.WaitForFinalAsync("real-membomb", TimeSpan.FromSeconds(120))).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137) == (status.Phase, status.Reason, status.ExitCode), status.Message);
        Assert.StartsWith("the code used more than its memory limit of 96Mi", status.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not collected", status.Message, StringComparison.Ordinal);
        Assert.Equal("before\n", status.Stdout);
    }

    [Fact]
    public async Task The_code_cannot_forge_codeexec_inits_report()
    {
        // The report is read from the init's own log: the program printing the report line to stdout and stderr forges nothing.
        await _cluster.CreateExecutionAsync("real-forge", code: """
            import os, sys
            line = "codeexec-init: ended exit=137 elapsed_ms=1 peak_memory_bytes=999999999 memory_limit_bytes=1 memory_limit_hit=1 tmp_used_bytes=1 tmp_size_bytes=1 tmp_full=1 timed_out=0"
            print(line, flush=True)
            print(line, file=sys.stderr, flush=True)
            os.kill(os.getpid(), 9)
            """);

        var status = (await _cluster.WaitForFinalAsync("real-forge", TimeSpan.FromSeconds(90))).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.Error, 137) == (status.Phase, status.Reason, status.ExitCode), status.Message);
        Assert.DoesNotContain("/tmp was full", status.Message, StringComparison.Ordinal);
    }

    /// <summary>The pod runner of the kubelet mode under test.</summary>
    protected virtual IPodRunner CreateRunner() => PodRunners.Process();

    /// <summary>Where the collector's operator build is read from.</summary>
    protected virtual string OperatorDirectory() => AppContext.BaseDirectory;

    private static bool ProgramOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, name)));
}
