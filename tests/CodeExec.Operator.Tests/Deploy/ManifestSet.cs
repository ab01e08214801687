using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>The typed objects of a multi-document manifest stream (kubectl kustomize or helm template output).</summary>
internal sealed partial class ManifestSet(IReadOnlyList<object> objects)
{
    /// <summary>Kinds the client library does not know: this project's own and the Prometheus Operator's ServiceMonitor and PrometheusRule.</summary>
    private static readonly Dictionary<string, Type> ExtraKinds = new()
    {
        ["codeexec.dev/v1alpha1/CodeRuntime"] = typeof(Api.CodeRuntime),
        ["codeexec.dev/v1alpha1/CodeExecution"] = typeof(Api.CodeExecution),
        ["monitoring.coreos.com/v1/ServiceMonitor"] = typeof(ServiceMonitorManifest),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRuleManifest),
    };

    public IReadOnlyList<object> Objects { get; } = objects;

    /// <summary>
    /// Parses every document strictly (a field the Kubernetes type does not have, such as a misspelt one, is an error);
    /// documents holding only comments (as an empty template renders) are left out.
    /// </summary>
    public static ManifestSet Parse(string yaml)
    {
        var documents = DocumentSeparator().Split(yaml).Where(HasContent);
        return new(KubernetesYaml.LoadAllFromString(string.Join("\n---\n", documents), ExtraKinds, strict: true));
    }

    private static bool HasContent(string document) =>
        document.Split('\n').Any(line => line.Trim() is { Length: > 0 } text && !text.StartsWith('#'));

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name)
        where T : IMetadata<V1ObjectMeta>
    {
        var matches = All<T>().Where(o => o.Metadata.Name == name).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {typeof(T).Name} named {name}, found {matches.Count}");
        return matches[0];
    }

    [GeneratedRegex(@"^---[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}

/// <summary>The parts of a Prometheus Operator ServiceMonitor the tests read.</summary>
internal sealed class ServiceMonitorManifest : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public ServiceMonitorSpec Spec { get; set; } = new();
}

/// <summary>ServiceMonitor spec: which Services, which ports.</summary>
internal sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();

    public IList<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

/// <summary>One scraped endpoint of a ServiceMonitor.</summary>
internal sealed class ServiceMonitorEndpoint
{
    public string? Port { get; set; }

    public string? Path { get; set; }

    public string? Interval { get; set; }
}

/// <summary>The parts of a Prometheus Operator PrometheusRule the tests read.</summary>
internal sealed class PrometheusRuleManifest : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public PrometheusRuleSpec Spec { get; set; } = new();
}

/// <summary>PrometheusRule spec: groups of rules.</summary>
internal sealed class PrometheusRuleSpec
{
    public IList<PrometheusRuleGroup> Groups { get; set; } = [];
}

/// <summary>One group of alerting rules.</summary>
internal sealed class PrometheusRuleGroup
{
    public string Name { get; set; } = "";

    public IList<PrometheusAlertRule> Rules { get; set; } = [];
}

/// <summary>One alerting rule.</summary>
internal sealed class PrometheusAlertRule
{
    public string Alert { get; set; } = "";

    public string Expr { get; set; } = "";

    public string? For { get; set; }

    public IDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    public IDictionary<string, string> Annotations { get; set; } = new Dictionary<string, string>();
}
