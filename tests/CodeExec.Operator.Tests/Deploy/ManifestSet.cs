using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>The typed objects of a multi-document manifest stream (kubectl kustomize or helm template output).</summary>
internal sealed class ManifestSet(IReadOnlyList<object> objects)
{
    public IReadOnlyList<object> Objects { get; } = objects;

    public static ManifestSet Parse(string yaml) => new(KubernetesYaml.LoadAllFromString(yaml));

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name)
        where T : IMetadata<V1ObjectMeta>
    {
        var matches = All<T>().Where(o => o.Metadata.Name == name).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {typeof(T).Name} named {name}, found {matches.Count}");
        return matches[0];
    }
}
