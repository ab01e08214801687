using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Every shell script of the repository (hack/, .ci/run) passes shellcheck: some of them (hack/dev-cluster.sh,
/// hack/e2e.sh) cannot run on the machines the project is developed on, so this is the check they get on every run.
/// shellcheck 0.9.0 comes from hack/tools.sh's cache (Debian bookworm's package), else PATH.
/// </summary>
public sealed class ShellScriptTests
{
    [Fact]
    public void Every_script_passes_shellcheck()
    {
        var shellcheck = ExternalTool.Require("shellcheck", "the shell scripts cannot be checked");
        var scripts = Directory.EnumerateFiles(RepositoryFiles.PathOf("hack"), "*.sh", SearchOption.AllDirectories)
            .Append(RepositoryFiles.PathOf(".ci", "run"))
            .Select(path => Path.GetRelativePath(RepositoryFiles.Root, path))
            .Order(StringComparer.Ordinal)
            .ToArray();

        var result = ExternalTool.Run(shellcheck, ["--format=gcc", .. scripts]);

        Assert.Contains(Path.Combine("hack", "dev-cluster.sh"), scripts);
        Assert.True(result.Succeeded, $"shellcheck {string.Join(' ', scripts)}:\n{result.Stdout}{result.Stderr}");
    }
}
