using System.Collections.Concurrent;
using CodeExec.Testing.Tools;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>Builds the kustomize directories under config/ with kubectl's built-in kustomize, once per directory.</summary>
internal static class Kustomize
{
    public static readonly string[] CrdFiles = ["codeexec.dev_codeexecutions.yaml", "codeexec.dev_coderuntimes.yaml"];

    private static readonly ConcurrentDictionary<string, Lazy<ToolResult>> Builds = new();

    /// <summary>The objects <c>kubectl kustomize directory</c> prints; skips the test when kubectl is not installed.</summary>
    public static ManifestSet Build(string directory)
    {
        var kubectl = ExternalTool.Require("kubectl", "the kustomize configuration under config/ cannot be built here");
        var result = Builds.GetOrAdd(directory, dir => new Lazy<ToolResult>(() => ExternalTool.Run(kubectl, "kustomize", dir))).Value;
        Assert.True(result.Succeeded, $"kubectl kustomize {directory} failed:\n{result.Stderr}");
        return ManifestSet.Parse(result.Stdout);
    }

    /// <summary>Builds config/default, which includes crds/: skips while the CRD YAML has not been generated yet.</summary>
    public static ManifestSet BuildDefault()
    {
        var missing = CrdFiles.Where(file => !File.Exists(RepositoryFiles.PathOf("crds", file))).ToList();
        if (missing.Count > 0)
        {
            Assert.Skip($"crds/{string.Join(", crds/", missing)} not generated yet (make crds): config/default includes them");
        }

        return Build("config/default");
    }
}
