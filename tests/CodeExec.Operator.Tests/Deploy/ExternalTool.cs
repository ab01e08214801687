using CodeExec.Testing.Tools;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>Runs command-line tools (kubectl, helm): the ones hack/tools.sh caches, else the ones on PATH.</summary>
internal static class ExternalTool
{
    /// <summary>The full path of <paramref name="name"/> (see <see cref="CachedTools.Find"/>), or null when it is not installed.</summary>
    public static string? Find(string name) => CachedTools.Find(name);

    /// <summary>The full path of <paramref name="name"/>; skips the calling test with the reason when it is not installed.</summary>
    public static string Require(string name, string purpose)
    {
        var path = Find(name);
        if (path is null)
        {
            Assert.Skip($"{CachedTools.MissingReason(name)}: {purpose}");
        }

        return path;
    }

    /// <summary>Runs the tool in the repository root and waits for it to exit (at most 10 minutes).</summary>
    public static ToolResult Run(string executable, params string[] arguments) =>
        ToolRunner.RunAsync(executable, arguments, RepositoryFiles.Root, TimeSpan.FromMinutes(10), CancellationToken.None).GetAwaiter().GetResult();
}
