using System.Text;
using YamlDotNet.Serialization;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>Untyped YAML (mappings, sequences, scalar strings) for files that are not Kubernetes objects, like values.yaml.</summary>
internal static class YamlTree
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static object? Load(string yaml) => Deserializer.Deserialize<object?>(yaml);

    public static object? LoadFile(params string[] pathParts) => Load(File.ReadAllText(RepositoryFiles.PathOf(pathParts)));

    /// <summary>The node at a dotted path of mapping keys, and whether every key exists.</summary>
    public static bool TryGet(object? root, string dottedPath, out object? node)
    {
        node = root;
        foreach (var key in dottedPath.Split('.'))
        {
            if (node is not IDictionary<object, object?> mapping || !mapping.TryGetValue(key, out node))
            {
                node = null;
                return false;
            }
        }

        return true;
    }

    public static IDictionary<object, object?> Mapping(object? node, string what) =>
        node as IDictionary<object, object?> ?? throw new InvalidOperationException($"{what} is not a mapping");

    /// <summary>A canonical text of the tree (mapping keys sorted) for equality checks with readable diffs.</summary>
    public static string Canonical(object? node)
    {
        var text = new StringBuilder();
        Write(node, text, 0);
        return text.ToString();
    }

    private static void Write(object? node, StringBuilder text, int depth)
    {
        var indent = new string(' ', depth * 2);
        switch (node)
        {
            case IDictionary<object, object?> mapping:
                foreach (var pair in mapping.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
                {
                    text.Append(indent).Append(pair.Key).Append(":\n");
                    Write(pair.Value, text, depth + 1);
                }

                break;
            case IList<object?> sequence:
                foreach (var item in sequence)
                {
                    text.Append(indent).Append("-\n");
                    Write(item, text, depth + 1);
                }

                break;
            default:
                text.Append(indent).Append(node ?? "~").Append('\n');
                break;
        }
    }
}
