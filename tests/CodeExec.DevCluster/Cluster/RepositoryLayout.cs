namespace CodeExec.DevCluster.Cluster;

/// <summary>Paths inside the repository checkout: the folder holding Operator.sln, found upward from a start folder.</summary>
/// <param name="Root">The repository root.</param>
public sealed record RepositoryLayout(string Root)
{
    /// <summary>The generated CustomResourceDefinitions.</summary>
    public string Crds => Path.Combine(Root, "crds");

    /// <summary>
    /// The CustomResourceDefinition files of <see cref="Crds"/>. The folder also holds a kustomization.yaml, which is
    /// not a CRD, so only files declaring <c>kind: CustomResourceDefinition</c> are taken.
    /// </summary>
    public IReadOnlyList<string> CrdFiles() =>
        [.. Directory.EnumerateFiles(Crds, "*.yaml").Order(StringComparer.Ordinal)
            .Where(file => File.ReadLines(file).Any(line => line.Trim() == "kind: CustomResourceDefinition"))];

    /// <summary>The sample manifests (runtimes in its <c>runtimes</c> sub-folder).</summary>
    public string Samples => Path.Combine(Root, "config", "samples");

    /// <summary>config/runtime: the RuntimeClass gvisor and PriorityClass codeexec-sandbox a cluster for the operator has.</summary>
    public string Runtime => Path.Combine(Root, "config", "runtime");

    /// <summary>The repository around the current folder, else around this program's binaries.</summary>
    public static RepositoryLayout Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Operator.sln")))
                {
                    return new RepositoryLayout(dir.FullName);
                }
            }
        }

        throw new InvalidOperationException("Operator.sln not found above the current folder or the program: run from the repository");
    }
}
