using System.Reflection;
using k8s.Models;

namespace CodeExec.Operator.Controller.Watching;

/// <summary>Where a kind lives in the Kubernetes API: what the watcher needs to build its list and watch URLs.</summary>
/// <param name="Group">API group; empty for the core group (pods, configmaps).</param>
/// <param name="Version">API version within the group, such as v1.</param>
/// <param name="Plural">The resource name in URLs, such as pods or codeexecutions.</param>
/// <param name="Kind">The kind, such as Pod or CodeExecution.</param>
/// <param name="Namespaced">False for cluster-scoped kinds (CodeRuntime, Node).</param>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    /// <summary>The <c>apiVersion</c> of objects of this kind: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>
    /// The resource type of a generated client model (V1Pod, V1NetworkPolicy...) from its <see cref="KubernetesEntityAttribute"/>.
    /// Such kinds are taken as namespaced; declare cluster-scoped ones explicitly.
    /// </summary>
    public static ResourceType? FromEntityAttribute(Type entityType)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        var attribute = entityType.GetCustomAttribute<KubernetesEntityAttribute>();
        return attribute is null
            ? null
            : new ResourceType(attribute.Group ?? "", attribute.ApiVersion, attribute.PluralName, attribute.Kind);
    }

    /// <summary>
    /// The URL path of the collection: all namespaces when <paramref name="namespace"/> is null (or the kind is
    /// cluster-scoped), else one namespace.
    /// </summary>
    public string CollectionPath(string? @namespace = null)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && !string.IsNullOrEmpty(@namespace)
            ? $"{root}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}"
            : $"{root}/{Plural}";
    }

    /// <inheritdoc />
    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}
