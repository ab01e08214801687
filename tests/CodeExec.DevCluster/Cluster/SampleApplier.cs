using System.Net;
using CodeExec.Api;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.DevCluster.Cluster;

/// <summary>Creates sample objects through an ordinary client, as <c>kubectl create</c> would.</summary>
public static class SampleApplier
{
    /// <summary>Creates each CodeRuntime, or replaces its spec when one of that name exists already.</summary>
    public static async Task ApplyRuntimesAsync(IKubernetes client, IEnumerable<CodeRuntime> runtimes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(runtimes);
        foreach (var runtime in runtimes)
        {
            try
            {
                await client.CustomObjects.CreateClusterCustomObjectAsync(runtime, ApiConstants.Group, ApiConstants.Version,
                    ApiConstants.CodeRuntimePlural, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                var existing = await client.CustomObjects.GetClusterCustomObjectAsync<CodeRuntime>(ApiConstants.Group, ApiConstants.Version,
                    ApiConstants.CodeRuntimePlural, runtime.Metadata.Name, cancellationToken);
                existing.Spec = runtime.Spec;
                await client.CustomObjects.ReplaceClusterCustomObjectAsync(existing, ApiConstants.Group, ApiConstants.Version,
                    ApiConstants.CodeRuntimePlural, runtime.Metadata.Name, cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>Creates each CodeExecution in <paramref name="namespace"/> (with the given name prefix, if any); returns the names used.</summary>
    public static async Task<IReadOnlyList<string>> CreateExecutionsAsync(IKubernetes client, string @namespace, IEnumerable<CodeExecution> executions,
        string namePrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(executions);
        var names = new List<string>();
        foreach (var sample in executions)
        {
            var execution = new CodeExecution
            {
                Metadata = new V1ObjectMeta
                {
                    Name = namePrefix + sample.Metadata.Name,
                    NamespaceProperty = @namespace,
                    Labels = sample.Metadata.Labels,
                    Annotations = sample.Metadata.Annotations,
                },
                Spec = sample.Spec,
            };
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(execution, ApiConstants.Group, ApiConstants.Version, @namespace,
                ApiConstants.CodeExecutionPlural, cancellationToken: cancellationToken);
            names.Add(execution.Metadata.Name);
        }

        return names;
    }
}
