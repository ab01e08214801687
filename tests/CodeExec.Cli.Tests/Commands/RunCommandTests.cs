using System.Text;
using CodeExec.Api;
using CodeExec.Cli.Tests.Harness;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;

namespace CodeExec.Cli.Tests.Commands;

/// <summary>
/// <c>kubectl codeexec run</c> end to end, through the CLI's entry, against the emulator with the real operator: the
/// sandbox Pods are scripted, everything between (CodeExecution, admission, Pod, collector record, status) is real.
/// </summary>
public sealed class RunCommandTests(CliCluster cli) : IClassFixture<CliCluster>
{
    [Fact]
    public async Task Run_hello_py_prints_its_stdout_exits_0_and_deletes_the_execution()
    {
        cli.ScriptPrefix("run-", 0, "hello, world\n");
        var file = cli.WriteFile("hello.py", "print('hello, world')\n");

        var result = await cli.RunAsync(["run", file]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello, world\n", result.Stdout);
        Assert.Matches(@"^codeexecution/run-[a-z0-9]{5} created\n", result.Stderr);
        var name = result.Stderr.Split(' ', '\n')[0]["codeexecution/".Length..];
        // Only progress on stderr: the created line, then the phases before the final one (as the watch saw them).
        Assert.All(result.Stderr.TrimEnd('\n').Split('\n'), line => Assert.Matches($"^codeexecution/{name}( created|: (Pending|Queued|Running)(: .*)?)$", line));
        await cli.Cluster.WaitForAsync(name, e => e is null, what: "the execution deleted after printing");
    }

    [Fact]
    public async Task A_nonzero_exit_code_is_the_exit_code_and_stderr_is_exactly_the_codes_with_quiet()
    {
        cli.Script("broken", 3, "partial\n", "Traceback: boom\n");
        var file = cli.WriteFile("broken.py", "raise SystemExit(3)\n");

        var result = await cli.RunAsync(["run", file, "--name", "broken", "-q"]);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal("partial\n", result.Stdout);
        Assert.Equal("Traceback: boom\n", result.Stderr);
    }

    [Fact]
    public async Task A_timed_out_execution_exits_124_with_its_output_and_the_reason()
    {
        cli.Cluster.ScriptSandbox("slow", new ScriptedContainer { ExitCode = 124, Duration = TimeSpan.FromSeconds(1) }, "tick\n");
        var file = cli.WriteFile("slow.py", "while True: pass\n");

        var result = await cli.RunAsync(["run", file, "--name", "slow", "--timeout", "1s"]);

        Assert.True(result.ExitCode == ExitCodes.TimedOut, result.ToString());
        Assert.Equal("tick\n", result.Stdout);
        Assert.Contains("codeexecution/slow: TimedOut (DeadlineExceeded): ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_execution_exits_126_quoting_the_operator()
    {
        var file = cli.WriteFile("cobol.py", "print(1)\n");

        var result = await cli.RunAsync(["run", file, "--name", "cobol", "--runtime", "cobol"]);

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Contains("codeexecution/cobol: Rejected (Rejected): ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("CodeRuntime \"cobol\" not found", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dash_reads_the_code_from_stdin_and_the_options_shape_the_spec()
    {
        cli.Script("from-stdin", 0, "42\n");
        var input = cli.WriteFile("input.txt", "6 7\n");

        var result = await cli.RunAsync(["run", "-", "--name", "from-stdin", "--runtime", SandboxCluster.Runtime, "--timeout", "2m", "--stdin", input, "--keep"],
            stdin: "a, b = map(int, input().split())\nprint(a * b)\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("42\n", result.Stdout);
        var kept = await cli.Cluster.GetExecutionAsync("from-stdin");
        Assert.NotNull(kept);
        Assert.Equal("a, b = map(int, input().split())\nprint(a * b)\n", kept.Spec.Code);
        Assert.Equal("6 7\n", kept.Spec.Stdin);
        Assert.Equal(120, kept.Spec.Limits?.TimeoutSeconds);
        Assert.Equal(SandboxCluster.Runtime, kept.Spec.Runtime);
        Assert.Equal(ExecutionPhase.Succeeded, kept.Status?.Phase);
    }

    [Fact]
    public async Task Egress_hosts_go_to_spec_network_and_the_operator_rejects_them_for_a_runtime_without_egress()
    {
        var file = cli.WriteFile("fetch.py", "import urllib.request\n");

        var result = await cli.RunAsync(["run", file, "--name", "fetch", "--egress", "pypi.org", "--egress", "files.pythonhosted.org", "--keep"]);

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        var kept = await cli.Cluster.GetExecutionAsync("fetch");
        Assert.Equal(NetworkModes.Egress, kept?.Spec.Network?.Mode);
        Assert.Equal(["pypi.org", "files.pythonhosted.org"], kept?.Spec.Network?.AllowedHosts ?? []);
    }

    [Fact]
    public async Task Binary_output_is_written_back_as_the_bytes_and_a_truncated_stream_is_warned_with_its_true_size()
    {
        byte[] binary = [0xff, 0xfe, 0x00, 0x41, 0x80];
        var flood = Encoding.ASCII.GetBytes(new string('x', 10_000));
        cli.Cluster.ScriptSandbox("bytes", new ScriptedContainer(), binary, flood);
        var file = cli.WriteFile("bytes.py", "pass\n");

        var result = await cli.RunAsync(["run", file, "--name", "bytes", "-q"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(binary, result.StdoutBytes);
        Assert.Contains("bytes omitted by codeexec", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("warning: stderr truncated: the code wrote 10000 bytes", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_the_api_server_refuses_exits_125_quoting_the_server()
    {
        var file = cli.WriteFile("bad.py", "print(1)\n");

        var result = await cli.RunAsync(["run", file, "--name", "Not_A_Name"]);

        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        Assert.StartsWith("Error from server (Invalid): ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Not_A_Name", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
    }

    [Fact]
    public async Task Ctrl_c_while_it_runs_exits_130_and_deletes_the_execution()
    {
        cli.Cluster.ScriptSandbox("interrupted", new ScriptedContainer { RunsUntilStopped = true }, "");
        var file = cli.WriteFile("forever.py", "while True: pass\n");
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var run = cli.RunInterruptibleAsync(["run", file, "--name", "interrupted"], "", interrupt.Token);
        await cli.Cluster.WaitForPhaseAsync("interrupted", ExecutionPhase.Running);
        await interrupt.CancelAsync();
        var result = await run;

        Assert.True(result.ExitCode == ExitCodes.Interrupted, result.ToString());
        Assert.EndsWith("interrupted: codeexecution/interrupted deleted\n", result.Stderr, StringComparison.Ordinal);
        await cli.Cluster.WaitForAsync("interrupted", e => e is null, what: "the interrupted execution deleted");
    }

    [Fact]
    public async Task Usage_errors_and_a_missing_file_exit_125_with_one_line()
    {
        var missing = await cli.RunAsync(["run", Path.Combine(cli.Directory, "nope.py")]);
        var badTimeout = await cli.RunAsync(["run", "-", "--timeout", "soon"], stdin: "print(1)");
        var noFile = await cli.RunAsync(["run"]);
        var at = await cli.RunAsync(["run", "@no-such-code.py"]);

        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.StartsWith("error: cannot read the code file ", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, badTimeout.ExitCode);
        Assert.Equal("error: --timeout soon: not a duration (examples: 90, 30s, 2m, 1h30m)\n", badTimeout.Stderr);
        Assert.Equal(ExitCodes.Failure, noFile.ExitCode);
        Assert.StartsWith("error: ", noFile.Stderr, StringComparison.Ordinal);
        // "@name" is a file name, not a System.CommandLine response file.
        Assert.Equal(ExitCodes.Failure, at.ExitCode);
        Assert.StartsWith("error: cannot read the code file @no-such-code.py: ", at.Stderr, StringComparison.Ordinal);
    }
}
