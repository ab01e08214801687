namespace CodeExec.Api.Tests;

/// <summary>The manifests under config/samples (CodeExecutions and, under runtimes/, CodeRuntimes).</summary>
public static class SampleManifests
{
    public static string Directory => Path.Combine(CodeExec.Testing.RealApiServer.RepositoryRoot.Find(), "config", "samples");

    /// <summary>Every sample file, relative to config/samples.</summary>
    public static TheoryData<string> Files() =>
    [
        .. System.IO.Directory.GetFiles(Directory, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Directory, f))
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal),
    ];

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Directory, relativePath));
}
