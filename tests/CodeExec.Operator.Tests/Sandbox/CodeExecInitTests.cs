using System.Diagnostics;
using CodeExec.Operator.Sandbox;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

/// <summary>
/// Runs this build's codeexec-init (src/CodeExec.Init, copied beside the operator) on the host, its files in a
/// temporary folder. The process-count tests run it as a UID of their own (with setpriv) when the tests run as root, since
/// RLIMIT_NPROC does not hold for root; not nobody's, because RLIMIT_NPROC counts every process of the UID on the
/// machine, and processes of other tests running meanwhile under a shared UID would use up the limit.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CodeExecInitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-init-").FullName;

    public CodeExecInitTests()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("codeexec-init is a Linux program");
        }

        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static string InitBinary => Path.Combine(AppContext.BaseDirectory, SandboxRenderer.InitFileName);

    private string Stdout => File.ReadAllText(Path.Combine(_dir, "stdout"));

    private string Stderr => File.ReadAllText(Path.Combine(_dir, "stderr"));

    /// <summary>A UID nothing else on a test machine runs as (no passwd entry needed: setpriv takes numbers).</summary>
    private const int LimitTestUid = 61947;

    private Process Start(IReadOnlyList<string> options, IReadOnlyList<string> program, bool asLimitedUser = false)
    {
        if (!File.Exists(InitBinary))
        {
            Assert.Fail($"{InitBinary} is missing: the operator project builds it with the C compiler (gcc, libc6-dev)");
        }

        var start = new ProcessStartInfo(InitBinary) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (asLimitedUser && Environment.UserName == "root")
        {
            start = new ProcessStartInfo("setpriv") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { $"--reuid={LimitTestUid}", $"--regid={LimitTestUid}", "--clear-groups", InitBinary })
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in new[] { "--stdout", Path.Combine(_dir, "stdout"), "--stderr", Path.Combine(_dir, "stderr") }.Concat(options).Append("--").Concat(program))
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private async Task<(int ExitCode, string InitLog)> RunAsync(IReadOnlyList<string> options, IReadOnlyList<string> program, bool asLimitedUser = false)
    {
        using var process = Start(options, program, asLimitedUser);
        var log = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await log);
    }

    [Fact]
    public async Task Output_goes_to_the_files_the_exit_code_is_kept_and_arguments_are_never_shell_text()
    {
        var (exit, log) = await RunAsync([], ["/bin/sh", "-c", "echo out; echo err >&2; echo \"$1\"; exit 7", "prog", "$(not run)"]);

        Assert.Equal(7, exit);
        Assert.Equal("out\n$(not run)\n", Stdout);
        Assert.Equal("err\n", Stderr);
        Assert.Contains("codeexec-init: ended exit=7 ", log, StringComparison.Ordinal); // its own log, not the program's
    }

    [Fact]
    public async Task Stdin_comes_from_the_given_file()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "stdin"), "42\n", Ct);

        var (exit, _) = await RunAsync(["--stdin", Path.Combine(_dir, "stdin")], ["/bin/cat"]);

        Assert.Equal(0, exit);
        Assert.Equal("42\n", Stdout);
    }

    [Fact]
    public async Task Zombies_are_reaped_so_a_hundred_short_background_commands_fit_in_sixteen_processes()
    {
        // 100 orphans against a limit of 16 only fit if codeexec-init reaps them; the short pause per round lets it be
        // scheduled on a loaded machine, where a burst of rounds could otherwise outrun it and leave 16 zombies at once.
        var (exit, _) = await RunAsync(["--nproc", "16"], ["/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do sh -c 'sleep 0 &' || exit 9; sleep 0.01; i=$((i+1)); done; echo ran $i"], asLimitedUser: true);

        Assert.True(exit == 0, Stderr);
        Assert.Equal("ran 100\n", Stdout);
    }

    [Fact]
    public async Task The_process_limit_holds_for_the_program()
    {
        var (exit, _) = await RunAsync(["--nproc", "4"], ["/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait"], asLimitedUser: true);

        Assert.NotEqual(0, exit);
        Assert.Contains("fork", Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_program_that_sends_itself_SIGKILL_ends_137()
    {
        var (exit, _) = await RunAsync([], ["/bin/sh", "-c", "kill -KILL $$"]);

        Assert.Equal(137, exit);
    }

    [Fact]
    public async Task At_the_timeout_the_whole_tree_gets_SIGTERM_then_SIGKILL_and_the_init_exits_124()
    {
        var marker = Path.Combine(_dir, "survivor");
        var watch = Stopwatch.StartNew();

        // The program ignores SIGTERM and leaves a background child that would write the marker after 4 s.
        var (exit, log) = await RunAsync(["--timeout", "1", "--grace", "1"], ["/bin/sh", "-c", $"trap '' TERM; (sleep 4; echo alive > {marker}) & sleep 60"]);
        watch.Stop();

        Assert.Equal(SandboxRenderer.TimeoutExitCode, exit);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(3.5));
        Assert.Contains("timeout of 1s", log, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3.5), Ct);
        Assert.False(File.Exists(marker), "a background process of the program survived the timeout");
    }

    [Fact]
    public async Task SIGTERM_to_the_init_reaches_the_program_whose_status_is_the_exit_code()
    {
        using var process = Start(["--grace", "5"], ["/bin/sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done"]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(File.Exists(Path.Combine(_dir, "stdout")) && Stdout.Contains("ready", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        await process.WaitForExitAsync(Ct);
        Assert.Equal(3, process.ExitCode);
        Assert.Equal("ready\ngot-term\n", Stdout);
    }

    [Fact]
    public async Task User_variables_are_set_for_the_program_only_after_the_limits()
    {
        // LD_PRELOAD of a missing library would make a dynamically linked program complain; the init is static and
        // never sees it, the program gets it (and the process limit was already set when it started).
        var (exit, _) = await RunAsync(["--nproc", "32", "--env", "GREETING=hi there", "--env", "EMPTY="],
            ["/bin/sh", "-c", "echo \"$GREETING|$EMPTY|${EMPTY+set}\"; ulimit -u 2>/dev/null || ulimit -p"]);

        Assert.Equal(0, exit);
        Assert.Equal("hi there||set\n32\n", Stdout);
    }

    [Fact]
    public async Task A_missing_program_ends_127_with_a_message_in_its_stderr()
    {
        var (exit, _) = await RunAsync([], ["/no/such/program"]);

        Assert.Equal(127, exit);
        Assert.Contains("cannot run /no/such/program", Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_size_limit_stops_a_flood_at_the_limit()
    {
        var (exit, _) = await RunAsync(["--fsize", "1048576"], ["/bin/sh", "-c", "head -c 3000000 /dev/zero"]);

        Assert.NotEqual(0, exit);
        Assert.Equal(1048576, new FileInfo(Path.Combine(_dir, "stdout")).Length);
    }

    [Fact]
    public async Task At_its_memory_limit_the_tree_is_killed_and_the_report_says_so()
    {
        // Two processes each holding 40 MiB: neither alone reaches the 64 MiB limit, the tree does.
        var hold = "python3 -c 'import time; x = bytearray(40 << 20); x[::4096] = b\"x\" * len(x[::4096]); time.sleep(30)'";
        var watch = Stopwatch.StartNew();
        var (exit, log) = await RunAsync(["--memory", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)], ["/bin/sh", "-c", $"{hold} & {hold} & wait"]);

        Assert.Equal(137, exit);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.Contains("reached its limit of 67108864 bytes: killing it", log, StringComparison.Ordinal);
        Assert.Contains(" memory_limit_bytes=67108864 memory_limit_hit=1 ", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_its_memory_limit_nothing_is_killed_and_the_peak_is_reported()
    {
        var (exit, log) = await RunAsync(["--memory", (512L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ["python3", "-c", "x = bytearray(20 << 20); x[::4096] = b'x' * len(x[::4096])"]);

        Assert.Equal(0, exit);
        var report = CodeExec.Operator.Reconciliation.InitReport.Parse(log);
        Assert.NotNull(report);
        Assert.False(report.MemoryLimitHit);
        Assert.InRange(report.PeakMemoryBytes, 20L << 20, 512L << 20);
    }

    [Fact]
    public async Task A_tmp_that_is_not_a_tmpfs_of_its_size_is_neither_memory_nor_full()
    {
        // Process mode: /tmp is a host folder (or the host's large tmpfs): it must not count as the program's memory.
        var (exit, log) = await RunAsync(["--memory", (512L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), "--tmp", _dir, "--tmp-size", "4096"], ["/bin/true"]);

        Assert.Equal(0, exit);
        Assert.Contains(" tmp_used_bytes=-1 tmp_size_bytes=-1 tmp_full=0 ", log, StringComparison.Ordinal);
    }
}
