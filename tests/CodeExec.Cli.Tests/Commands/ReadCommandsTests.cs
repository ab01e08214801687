using CodeExec.Api;
using CodeExec.Cli.Tests.Harness;
using CodeExec.Operator.Tests.Harness;

namespace CodeExec.Cli.Tests.Commands;

/// <summary>
/// <c>get</c>, <c>logs</c>, <c>delete</c> and <c>runtimes</c> through the CLI's entry against the emulator, on
/// executions the real operator ran (created with <c>run --keep</c>).
/// </summary>
public sealed class ReadCommandsTests(CliCluster cli) : IClassFixture<CliCluster>
{
    private async Task RunKeptAsync(string name, int exitCode, string stdout, string stderr = "")
    {
        cli.Script(name, exitCode, stdout, stderr);
        var result = await cli.RunAsync(["run", cli.WriteFile(name + ".py", "print(1)\n"), "--name", name, "--keep", "-q"]);
        Assert.True(result.ExitCode == exitCode, result.ToString());
    }

    [Fact]
    public async Task Get_lists_executions_with_the_columns_of_kubectl_get_cx_and_summarizes_one()
    {
        await RunKeptAsync("listed-ok", 0, "fine\n");
        await RunKeptAsync("listed-bad", 2, "", "oops\n");

        var table = await cli.RunAsync(["get"]);
        var one = await cli.RunAsync(["get", "listed-bad"]);

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Stdout.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^NAME\s+RUNTIME\s+PHASE\s+EXIT\s+DURATION\s+AGE$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^listed-bad\s+python\s+Failed\s+2\s+\S+\s+\d+s$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^listed-ok\s+python\s+Succeeded\s+0\s+\S+\s+\d+s$"));
        Assert.True(one.ExitCode == 0, one.ToString());
        // "Field:" padded to one column, as kubectl describe aligns them.
        Assert.Matches(@"(?m)^Name:\s+listed-bad\nNamespace:\s+default\nRuntime:\s+python\nPhase:\s+Failed\nReason:\s+Error\n", one.Stdout);
        Assert.Matches(@"(?m)^Exit code:\s+2$", one.Stdout);
        Assert.Matches(@"(?m)^Stderr:\s+5 bytes \(kubectl codeexec logs\)$", one.Stdout);
    }

    [Fact]
    public async Task Get_in_an_empty_namespace_says_so_and_an_unknown_name_fails_with_one_line()
    {
        var empty = await cli.RunAsync(["get", "-n", "elsewhere"]);
        var missing = await cli.RunAsync(["get", "no-such-execution"]);

        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("", empty.Stdout);
        Assert.Equal("No resources found in elsewhere namespace.\n", empty.Stderr);
        Assert.Equal(ExitCodes.Error, missing.ExitCode);
        Assert.Equal("error: codeexecutions.codeexec.dev \"no-such-execution\" not found\n", missing.Stderr);
    }

    [Fact]
    public async Task Logs_prints_stdout_and_stderr_as_the_code_wrote_them()
    {
        await RunKeptAsync("logged", 1, "out line\n", "err line\n");

        var result = await cli.RunAsync(["logs", "logged"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("out line\n", result.Stdout);
        Assert.Equal("err line\n", result.Stderr);
    }

    [Fact]
    public async Task Logs_of_an_unfinished_execution_fails_with_one_line()
    {
        cli.Cluster.ScriptSandbox("waiting", new Testing.Kubelet.Scripted.ScriptedContainer { RunsUntilStopped = true }, "");
        await cli.Cluster.CreateExecutionAsync("waiting", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 600 });
        await cli.Cluster.WaitForPhaseAsync("waiting", ExecutionPhase.Running);

        var result = await cli.RunAsync(["logs", "waiting"]);

        Assert.Equal(ExitCodes.Error, result.ExitCode);
        Assert.Equal("error: codeexecution/waiting has no output yet (phase Running); the output is written when it finishes\n", result.Stderr);
        Assert.Equal(0, (await cli.RunAsync(["delete", "waiting"])).ExitCode);
    }

    [Fact]
    public async Task Delete_deletes_each_name_and_reports_the_missing_ones()
    {
        await RunKeptAsync("doomed-1", 0, "");
        await RunKeptAsync("doomed-2", 0, "");

        var result = await cli.RunAsync(["delete", "doomed-1", "never-was", "doomed-2"]);

        Assert.Equal(ExitCodes.Error, result.ExitCode);
        Assert.Equal("codeexecution.codeexec.dev \"doomed-1\" deleted\ncodeexecution.codeexec.dev \"doomed-2\" deleted\n", result.Stdout);
        Assert.Equal("Error from server (NotFound): codeexecutions.codeexec.dev \"never-was\" not found\n", result.Stderr);
        await cli.Cluster.WaitForAsync("doomed-1", e => e is null, what: "doomed-1 deleted");
        await cli.Cluster.WaitForAsync("doomed-2", e => e is null, what: "doomed-2 deleted");
    }

    [Fact]
    public async Task Runtimes_lists_image_default_limits_and_egress()
    {
        await cli.Cluster.CreateRuntimeAsync("node", spec =>
        {
            spec.Image = "node:22-slim";
            spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["registry.npmjs.org"] };
        });

        var result = await cli.RunAsync(["runtimes"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^NAME\s+DEFAULT\s+IMAGE\s+TIMEOUT\s+CPU\s+MEMORY\s+EGRESS$", lines[0]);
        Assert.Matches(@"^node\s+node:22-slim\s+30s\s+500m\s+256Mi\s+registry\.npmjs\.org$", lines[1]);
        Assert.Matches($@"^{SandboxCluster.Runtime}\s+yes\s+python:3\.12-slim\s+30s\s+500m\s+256Mi\s+no$", lines[2]);
    }
}
