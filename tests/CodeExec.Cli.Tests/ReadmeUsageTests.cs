using System.Text.RegularExpressions;
using CodeExec.Cli.Tests.Harness;
using CodeExec.Testing.Tools;

namespace CodeExec.Cli.Tests;

/// <summary>
/// The README's "kubectl codeexec" section as written: its usage lines run with bash through kubectl's plugin lookup
/// against the emulator with the real operator (in a folder holding hello.py and input.txt), and its install lines
/// pack the tool and install the package. ReadmeCommandTests (Operator.Tests) lists these lines as run here.
/// </summary>
public sealed partial class ReadmeUsageTests(CliCluster cli) : IClassFixture<CliCluster>
{
    private const string Pack = "dotnet pack src/CodeExec.Cli -o artifacts/packages";
    private const string InstallGlobal = "dotnet tool install --global CodeExec.Cli --add-source artifacts/packages";

    /// <summary>The usage lines in README order, each with the exit code and a pattern its stdout must match.</summary>
    private static readonly (string Command, string Stdout)[] Usage =
    [
        ("kubectl codeexec runtimes", @"^NAME\s+DEFAULT\s+IMAGE\s+TIMEOUT\s+CPU\s+MEMORY\s+EGRESS\npython\s+yes\s+python:3\.12-slim\s+30s\s+500m\s+256Mi\s+no\n$"),
        ("kubectl codeexec run hello.py", @"^hello, codeexec\n$"),
        ("echo 'print(6 * 7)' | kubectl codeexec run - --runtime python --timeout 30s", @"^hello, codeexec\n$"),
        ("kubectl codeexec run hello.py --name hello --stdin input.txt --keep -q", @"^hello, codeexec\n$"),
        ("kubectl codeexec get", @"^NAME\s+RUNTIME\s+PHASE\s+EXIT\s+DURATION\s+AGE\nhello\s+python\s+Succeeded\s+0\s+\S+\s+\S+\n$"),
        ("kubectl codeexec logs hello", @"^hello, codeexec\n$"),
        ("kubectl codeexec delete hello", "^codeexecution.codeexec.dev \"hello\" deleted\n$"),
    ];

    /// <summary>The README's shell command lines (continuations joined, comments dropped), as ReadmeCommandTests reads them.</summary>
    private static List<string> ReadmeCommands()
    {
        var readme = File.ReadAllText(Path.Combine(ToolProcess.RepositoryRoot, "README.md"));
        return [.. ShellBlock().Matches(readme)
            .SelectMany(block => block.Groups["body"].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
            .Select(line => Regex.Replace(Regex.Replace(line, @"(^|\s)#.*$", ""), @"\s+", " ").Trim())
            .Where(line => line.Length > 0)];
    }

    [Fact]
    public async Task The_usage_lines_work_as_written_through_kubectl()
    {
        var kubectl = CachedTools.Find("kubectl");
        if (kubectl is null)
        {
            Assert.Skip(CachedTools.MissingReason("kubectl"));
        }

        var written = ReadmeCommands().Where(c => c.Contains("kubectl codeexec", StringComparison.Ordinal)).ToList();
        Assert.Equal(Usage.Select(u => u.Command), written);
        cli.ScriptPrefix("run-", 0, "hello, codeexec\n");
        cli.Script("hello", 0, "hello, codeexec\n");
        cli.WriteFile("hello.py", "print('hello, codeexec')\n");
        cli.WriteFile("input.txt", "codeexec\n");
        var environment = new Dictionary<string, string>
        {
            ["KUBECONFIG"] = cli.KubeconfigPath,
            ["PATH"] = ToolProcess.ToolDirectory + Path.PathSeparator + Path.GetDirectoryName(kubectl) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["KUBECACHEDIR"] = Path.Combine(cli.Directory, "kubectl-cache"),
        };

        foreach (var (command, stdout) in Usage)
        {
            var result = await ToolProcess.RunAsync("bash", ["-c", command], cli.Directory, environment, TimeSpan.FromMinutes(2));

            Assert.True(result.ExitCode == 0, $"{command}\n{result}");
            Assert.True(Regex.IsMatch(result.Stdout, stdout), $"{command}: stdout does not match {stdout}\n{result}");
        }
    }

    [Fact]
    public async Task The_install_lines_pack_a_tool_package_that_installs_as_kubectl_codeexec()
    {
        var commands = ReadmeCommands();
        Assert.Contains(Pack, commands);
        Assert.Contains(InstallGlobal, commands);
        var tools = Path.Combine(cli.Directory, "tools");
        var environment = new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };

        var pack = await ToolProcess.RunAsync("bash", ["-c", Pack], ToolProcess.RepositoryRoot, environment, TimeSpan.FromMinutes(5));
        // The install line as written, into a folder of this test instead of the user's global tools.
        var install = await ToolProcess.RunAsync("bash", ["-c", InstallGlobal.Replace("--global", "--tool-path " + tools, StringComparison.Ordinal)],
            ToolProcess.RepositoryRoot, environment, TimeSpan.FromMinutes(5));
        var help = await ToolProcess.RunAsync(Path.Combine(tools, "kubectl-codeexec"), ["--help"], cli.Directory, environment, TimeSpan.FromMinutes(1));

        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("kubectl codeexec: run code in codeexec-operator sandboxes", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("runtimes", help.Stdout, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^```sh\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
