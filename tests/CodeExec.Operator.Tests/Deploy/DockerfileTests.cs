using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Static checks of the Dockerfile (no Docker engine here to build it): the image runs the operator's app host from /app
/// as a numeric non-root user, on a runtime that matches the project's SDK, from a build context .dockerignore keeps.
/// </summary>
public sealed partial class DockerfileTests
{
    /// <summary>The Dockerfile's instructions, continuation lines joined, comments and blank lines left out.</summary>
    private static readonly string[] Lines = Instructions(File.ReadAllText(RepositoryFiles.PathOf("Dockerfile")));

    private static readonly XDocument OperatorProject = XDocument.Load(RepositoryFiles.PathOf("src", "CodeExec.Operator", "CodeExec.Operator.csproj"));

    [Fact]
    public void Final_stage_runs_as_a_numeric_non_root_user()
    {
        var user = FinalStage().Last(line => line.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();

        var uid = user.Split(':')[0];
        Assert.Matches("^[0-9]+$", uid);
        Assert.NotEqual("0", uid);
    }

    [Fact]
    public void Entrypoint_is_the_published_app_host_named_after_the_operator_assembly()
    {
        var assemblyName = OperatorProject.Descendants("AssemblyName").Single().Value;

        var entrypoint = FinalStage().Single(line => line.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));

        Assert.Equal("codeexec-operator", assemblyName);
        Assert.Equal($"ENTRYPOINT [\"/app/{assemblyName}\"]", entrypoint);
        Assert.Contains(Lines, line => line.Contains("dotnet publish src/CodeExec.Operator/CodeExec.Operator.csproj", StringComparison.Ordinal)
            && line.Contains("-o /app", StringComparison.Ordinal));
        Assert.Contains(Lines, line => line.Contains("-p:UseAppHost=true", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_image_carries_the_shared_framework_the_project_needs()
    {
        var sdk = OperatorProject.Root!.Attribute("Sdk")!.Value;
        var runtime = FinalStage().First();

        var expected = sdk == "Microsoft.NET.Sdk.Web" ? "mcr.microsoft.com/dotnet/aspnet:10.0" : "mcr.microsoft.com/dotnet/runtime:10.0";
        Assert.StartsWith($"FROM {expected}", runtime, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_copied_path_exists_and_is_not_ignored_by_dockerignore()
    {
        var ignored = File.ReadAllLines(RepositoryFiles.PathOf(".dockerignore"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.TrimEnd('/'))
            .ToHashSet();

        var sources = Lines
            .Where(line => line.StartsWith("COPY ", StringComparison.Ordinal) && !line.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .ToList();

        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = source.TrimEnd('/');
            Assert.True(File.Exists(RepositoryFiles.PathOf(path)) || Directory.Exists(RepositoryFiles.PathOf(path)), $"COPY {source}: no such path");
            var topLevel = path.Split('/')[0];
            Assert.DoesNotContain(topLevel, ignored);
            Assert.DoesNotContain(path, ignored);
        }
    }

    private static List<string> FinalStage()
    {
        var lastFrom = Array.FindLastIndex(Lines, line => FromLine().IsMatch(line));
        Assert.True(lastFrom >= 0, "the Dockerfile has no FROM");
        return [.. Lines[lastFrom..]];
    }

    private static string[] Instructions(string dockerfile) =>
        [.. Continuation().Replace(dockerfile, " ")
            .Split('\n')
            .Select(line => Spaces().Replace(line.Trim(), " "))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))];

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex("^FROM ")]
    private static partial Regex FromLine();
}
