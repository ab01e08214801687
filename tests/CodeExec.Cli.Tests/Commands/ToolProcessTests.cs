using CodeExec.Cli.Tests.Harness;
using CodeExec.Testing.Tools;

namespace CodeExec.Cli.Tests.Commands;

/// <summary>
/// The built tool as a process, as a user runs it: <c>kubectl-codeexec</c> (the apphost the build puts next to these
/// tests) with KUBECONFIG in its environment, and through kubectl's plugin lookup as <c>kubectl codeexec</c>.
/// </summary>
public sealed class ToolProcessTests(CliCluster cli) : IClassFixture<CliCluster>
{
    private static string Tool => Path.Combine(ToolProcess.ToolDirectory, "kubectl-codeexec");

    [Fact]
    public async Task The_built_tool_runs_hello_py_and_passes_on_the_exit_code_and_both_streams()
    {
        cli.ScriptPrefix("run-", 4, "hello from a process\n");
        var file = cli.WriteFile("hello.py", "print('hello from a process')\nraise SystemExit(4)\n");

        var result = await RunAsync(Tool, ["run", file]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Equal("hello from a process\n", result.Stdout);
        Assert.Matches(@"^codeexecution/run-[a-z0-9]{5} created\n", result.Stderr);
    }

    [Fact]
    public async Task Kubectl_finds_the_tool_as_the_codeexec_plugin()
    {
        var kubectl = CachedTools.Find("kubectl");
        if (kubectl is null)
        {
            Assert.Skip(CachedTools.MissingReason("kubectl"));
        }

        cli.Script("via-kubectl", 0, "plugged in\n");
        var file = cli.WriteFile("plugin.py", "print('plugged in')\n");

        var result = await RunAsync(kubectl, ["codeexec", "run", file, "--name", "via-kubectl", "-q"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("plugged in\n", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    private Task<CliResult> RunAsync(string executable, string[] args) =>
        ToolProcess.RunAsync(executable, args, cli.Directory, new Dictionary<string, string>
        {
            ["KUBECONFIG"] = cli.KubeconfigPath,
            // kubectl looks plugins up on PATH: the folder of the built kubectl-codeexec first.
            ["PATH"] = ToolProcess.ToolDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["KUBECACHEDIR"] = Path.Combine(cli.Directory, "kubectl-cache"),
        }, TimeSpan.FromMinutes(2));
}
