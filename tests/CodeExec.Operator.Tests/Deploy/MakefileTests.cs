using System.Text.RegularExpressions;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>The Makefile's targets as a developer meets them: `make help` lists every phony target with its description.</summary>
public sealed partial class MakefileTests
{
    [Fact]
    public void Make_help_lists_every_phony_target()
    {
        var make = ExternalTool.Require("make", "make help cannot be run");
        var phony = PhonyLine().Match(File.ReadAllText(RepositoryFiles.PathOf("Makefile"))).Groups[1].Value
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var help = ExternalTool.Run(make, "-s", "help");

        Assert.True(help.Succeeded, help.Stderr);
        var listed = help.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(phony);
        Assert.All(phony, target => Assert.Contains(target, listed));
    }

    [GeneratedRegex(@"^\.PHONY:(.*)$", RegexOptions.Multiline)]
    private static partial Regex PhonyLine();
}
