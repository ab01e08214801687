using CodeExec.Api;
using k8s;

namespace CodeExec.DevCluster.Samples;

/// <summary>
/// The sample manifests of the repository: the CodeRuntimes of <c>config/samples/runtimes/*.yaml</c> and the
/// CodeExecutions of <c>config/samples/*.yaml</c>, parsed with <see cref="KubernetesYaml"/> exactly as written.
/// </summary>
/// <param name="Runtimes">The CodeRuntimes, ordered by file name.</param>
/// <param name="Executions">The CodeExecutions, ordered by file name.</param>
public sealed record SampleManifests(IReadOnlyList<CodeRuntime> Runtimes, IReadOnlyList<CodeExecution> Executions)
{
    private static readonly Dictionary<string, Type> TypeMap = new(StringComparer.Ordinal)
    {
        [ApiConstants.ApiVersion + "/" + ApiConstants.CodeExecutionKind] = typeof(CodeExecution),
        [ApiConstants.ApiVersion + "/" + ApiConstants.CodeRuntimeKind] = typeof(CodeRuntime),
    };

    /// <summary>Reads every sample below <paramref name="samplesDirectory"/> (<c>config/samples</c>).</summary>
    public static SampleManifests Load(string samplesDirectory)
    {
        var runtimes = LoadAll(Path.Combine(samplesDirectory, "runtimes")).OfType<CodeRuntime>().ToList();
        var executions = LoadAll(samplesDirectory).OfType<CodeExecution>().ToList();
        if (runtimes.Count == 0 || executions.Count == 0)
        {
            throw new InvalidOperationException($"no CodeRuntime or no CodeExecution sample found under {samplesDirectory}");
        }

        return new SampleManifests(runtimes, executions);
    }

    /// <summary>The executions whose names are in <paramref name="names"/>, in that order; throws naming any that is missing.</summary>
    public IReadOnlyList<CodeExecution> Select(params string[] names) =>
        [.. names.Select(name => Executions.FirstOrDefault(e => e.Metadata.Name == name)
            ?? throw new InvalidOperationException($"sample CodeExecution {name} not found"))];

    private static IEnumerable<object> LoadAll(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"samples folder {directory} not found");
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            IList<object> documents;
            try
            {
                documents = KubernetesYaml.LoadAllFromString(File.ReadAllText(file), TypeMap);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidOperationException($"{file}: {e.Message}", e);
            }

            foreach (var document in documents)
            {
                yield return document;
            }
        }
    }
}
