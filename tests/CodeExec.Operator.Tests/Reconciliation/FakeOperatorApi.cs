using System.Net;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// An in-memory <see cref="IOperatorApi"/> for unit tests of the reconciler: it holds the CodeExecution and the
/// children by (resource, name), answers as the API server does for the cases the reconciler handles (404 for a missing
/// object, 409 for a taken name or a UID precondition that fails), records every call as "verb resource name", and
/// refuses a call with the exception <see cref="Refuse"/> returns for it.
/// </summary>
internal sealed class FakeOperatorApi : IOperatorApi
{
    private readonly Dictionary<(string Resource, string Name), IKubernetesObject<V1ObjectMeta>> _objects = [];
    private int _version;

    /// <summary>The CodeExecution as the API server holds it; null: deleted.</summary>
    public CodeExecution? Execution { get; set; }

    /// <summary>Every call, in order, as "verb resource name" (RBAC terms).</summary>
    public List<string> Calls { get; } = [];

    /// <summary>The UID precondition of each delete, by "resource name".</summary>
    public Dictionary<string, string?> DeletePreconditions { get; } = [];

    /// <summary>The container logs, by container name; a missing one answers 404.</summary>
    public Dictionary<string, string> Logs { get; } = [];

    /// <summary>An exception to throw for a call (given as "verb resource"), or null to serve it.</summary>
    public Func<string, Exception?> Refuse { get; set; } = _ => null;

    public static HttpOperationException Answer(HttpStatusCode code, string reason = "") => new(reason)
    {
        Response = new HttpResponseMessageWrapper(new HttpResponseMessage(code) { ReasonPhrase = reason }, reason),
    };

    public T? Find<T>(string resource, string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => _objects.GetValueOrDefault((resource, name)) as T;

    public void Put(string resource, IKubernetesObject<V1ObjectMeta> existing) => _objects[(resource, existing.Metadata.Name)] = existing;

    public Task<CodeExecution> GetExecutionAsync(string namespaceName, string name, CancellationToken cancellationToken)
    {
        Record("get", "codeexecutions", name);
        return Task.FromResult(Execution is { } e && e.Metadata.Name == name ? e : throw Answer(HttpStatusCode.NotFound));
    }

    public Task<CodeExecution> ReplaceExecutionStatusAsync(object body, string namespaceName, string name, CancellationToken cancellationToken)
    {
        Record("update", "codeexecutions/status", name);
        var written = KubernetesJson.Deserialize<CodeExecution>(KubernetesJson.Serialize(body));
        if (Execution is null || written.Metadata.ResourceVersion != Execution.Metadata.ResourceVersion)
        {
            throw Answer(Execution is null ? HttpStatusCode.NotFound : HttpStatusCode.Conflict);
        }

        Execution.Status = written.Status;
        Execution.Metadata.ResourceVersion = NextVersion();
        return Task.FromResult(Execution);
    }

    public Task DeleteExecutionAsync(string namespaceName, string name, V1DeleteOptions options, CancellationToken cancellationToken)
    {
        Record("delete", "codeexecutions", name);
        Execution = null;
        return Task.CompletedTask;
    }

    public Task<V1Pod> CreatePodAsync(V1Pod pod, string namespaceName, CancellationToken cancellationToken) => Create("pods", pod);

    public Task<V1Pod> ReadPodAsync(string name, string namespaceName, CancellationToken cancellationToken) => Read<V1Pod>("pods", name);

    public Task DeletePodAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) => Delete("pods", name, options);

    public Task<Stream> ReadPodLogAsync(string name, string namespaceName, string container, int limitBytes, int? tailLines, CancellationToken cancellationToken)
    {
        Record("get", "pods/log", name + " " + container);
        return Logs.TryGetValue(container, out var log)
            ? Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(log)))
            : throw Answer(HttpStatusCode.NotFound, "NotFound");
    }

    public Task<V1NetworkPolicy> CreateNetworkPolicyAsync(V1NetworkPolicy policy, string namespaceName, CancellationToken cancellationToken) =>
        Create("networkpolicies", policy);

    public Task<V1NetworkPolicy> ReadNetworkPolicyAsync(string name, string namespaceName, CancellationToken cancellationToken) =>
        Read<V1NetworkPolicy>("networkpolicies", name);

    public Task DeleteNetworkPolicyAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        Delete("networkpolicies", name, options);

    public Task<V1ConfigMap> CreateConfigMapAsync(V1ConfigMap configMap, string namespaceName, CancellationToken cancellationToken) =>
        Create("configmaps", configMap);

    public Task<V1ConfigMap> ReadConfigMapAsync(string name, string namespaceName, CancellationToken cancellationToken) => Read<V1ConfigMap>("configmaps", name);

    public Task DeleteConfigMapAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        Delete("configmaps", name, options);

    public Task<V1Secret> CreateSecretAsync(V1Secret secret, string namespaceName, CancellationToken cancellationToken) => Create("secrets", secret);

    public Task<V1Secret> ReadSecretAsync(string name, string namespaceName, CancellationToken cancellationToken) => Read<V1Secret>("secrets", name);

    public Task DeleteSecretAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        Delete("secrets", name, options);

    public Task CreateEventAsync(Corev1Event @event, string namespaceName, CancellationToken cancellationToken)
    {
        Record("create", "events", @event.Metadata.Name);
        return Task.CompletedTask;
    }

    public Task CreateResourceQuotaAsync(V1ResourceQuota quota, string namespaceName, CancellationToken cancellationToken)
    {
        Record("create", "resourcequotas", quota.Metadata.Name);
        return Task.CompletedTask;
    }

    private void Record(string verb, string resource, string name)
    {
        Calls.Add($"{verb} {resource} {name}");
        if (Refuse($"{verb} {resource}") is { } refusal)
        {
            throw refusal;
        }
    }

    private Task<T> Create<T>(string resource, T child)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record("create", resource, child.Metadata.Name);
        if (_objects.ContainsKey((resource, child.Metadata.Name)))
        {
            throw Answer(HttpStatusCode.Conflict, "AlreadyExists");
        }

        var stored = KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(child));
        stored.Metadata.Uid = Guid.NewGuid().ToString();
        stored.Metadata.ResourceVersion = NextVersion();
        stored.Metadata.Generation = 1;
        stored.Metadata.CreationTimestamp = DateTime.UtcNow;
        _objects[(resource, child.Metadata.Name)] = stored;
        return Task.FromResult(stored);
    }

    private Task<T> Read<T>(string resource, string name)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Record("get", resource, name);
        return Task.FromResult(Find<T>(resource, name) ?? throw Answer(HttpStatusCode.NotFound, "NotFound"));
    }

    private Task Delete(string resource, string name, V1DeleteOptions options)
    {
        Record("delete", resource, name);
        DeletePreconditions[$"{resource} {name}"] = options.Preconditions?.Uid;
        if (!_objects.TryGetValue((resource, name), out var existing))
        {
            throw Answer(HttpStatusCode.NotFound, "NotFound");
        }

        if (options.Preconditions?.Uid is { } uid && uid != existing.Metadata.Uid)
        {
            throw Answer(HttpStatusCode.Conflict, "Conflict");
        }

        _objects.Remove((resource, name));
        return Task.CompletedTask;
    }

    private string NextVersion() => (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
