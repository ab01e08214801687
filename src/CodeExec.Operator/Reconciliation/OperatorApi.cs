using CodeExec.Api;
using CodeExec.Operator.Controller.Permissions;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// Every request the CodeExecution controller sends to the API server (the watches and the leader election send the
/// others), as one typed seam: the reconciler, <see cref="ExecutionEvents"/> and <see cref="SandboxQuotas"/> use it
/// instead of <see cref="IKubernetes"/>. Methods send exactly one request each and keep the client's errors: a refusal
/// throws <see cref="k8s.Autorest.HttpOperationException"/> (404, 409 and the rest are handled by the callers), a network
/// failure <see cref="HttpRequestException"/>. Each implementation method declares the RBAC permission its request needs
/// (<see cref="KubernetesPermissionAttribute"/>); the operator's roles are derived from those declarations.
/// </summary>
internal interface IOperatorApi
{
    /// <summary>GET of a CodeExecution (group <c>codeexec.dev</c>, version <c>v1alpha1</c>).</summary>
    Task<CodeExecution> GetExecutionAsync(string namespaceName, string name, CancellationToken cancellationToken);

    /// <summary>PUT of the status subresource with <paramref name="body"/> (its metadata.resourceVersion guards it: 409 when stale).</summary>
    Task<CodeExecution> ReplaceExecutionStatusAsync(object body, string namespaceName, string name, CancellationToken cancellationToken);

    /// <summary>DELETE of a CodeExecution with <paramref name="options"/> (propagation, UID precondition).</summary>
    Task DeleteExecutionAsync(string namespaceName, string name, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>Creates a sandbox Pod; returns it as stored.</summary>
    Task<V1Pod> CreatePodAsync(V1Pod pod, string namespaceName, CancellationToken cancellationToken);

    /// <summary>GET of a Pod.</summary>
    Task<V1Pod> ReadPodAsync(string name, string namespaceName, CancellationToken cancellationToken);

    /// <summary>DELETE of a Pod with <paramref name="options"/>.</summary>
    Task DeletePodAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Opens one container's log: at most <paramref name="limitBytes"/> (the server's <c>limitBytes</c>; the caller still
    /// reads no more than it wants), the last <paramref name="tailLines"/> lines when set.
    /// </summary>
    Task<Stream> ReadPodLogAsync(string name, string namespaceName, string container, int limitBytes, int? tailLines, CancellationToken cancellationToken);

    /// <summary>Creates a NetworkPolicy; returns it as stored.</summary>
    Task<V1NetworkPolicy> CreateNetworkPolicyAsync(V1NetworkPolicy policy, string namespaceName, CancellationToken cancellationToken);

    /// <summary>GET of a NetworkPolicy.</summary>
    Task<V1NetworkPolicy> ReadNetworkPolicyAsync(string name, string namespaceName, CancellationToken cancellationToken);

    /// <summary>DELETE of a NetworkPolicy with <paramref name="options"/>.</summary>
    Task DeleteNetworkPolicyAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>Creates a ConfigMap (the code copy); returns it as stored.</summary>
    Task<V1ConfigMap> CreateConfigMapAsync(V1ConfigMap configMap, string namespaceName, CancellationToken cancellationToken);

    /// <summary>GET of a ConfigMap by name (the code copy, a codeFrom source); never a list or watch.</summary>
    Task<V1ConfigMap> ReadConfigMapAsync(string name, string namespaceName, CancellationToken cancellationToken);

    /// <summary>DELETE of a ConfigMap with <paramref name="options"/>.</summary>
    Task DeleteConfigMapAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>Creates a Secret (the code copy of code from a Secret); returns it as stored.</summary>
    Task<V1Secret> CreateSecretAsync(V1Secret secret, string namespaceName, CancellationToken cancellationToken);

    /// <summary>GET of a Secret by name (the code copy, a codeFrom source); never a list or watch.</summary>
    Task<V1Secret> ReadSecretAsync(string name, string namespaceName, CancellationToken cancellationToken);

    /// <summary>DELETE of a Secret with <paramref name="options"/>.</summary>
    Task DeleteSecretAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>Creates a core v1 Event.</summary>
    Task CreateEventAsync(Corev1Event @event, string namespaceName, CancellationToken cancellationToken);

    /// <summary>Creates a ResourceQuota.</summary>
    Task CreateResourceQuotaAsync(V1ResourceQuota quota, string namespaceName, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IOperatorApi"/> over the operator's <see cref="IKubernetes"/> client (rate-limited and metered). The
/// CodeExecution's group, version and plural are named here only.
/// </summary>
internal sealed class OperatorApi(IKubernetes client) : IOperatorApi
{
    /// <summary>
    /// Why the operator needs <c>update</c> on <c>codeexecutions/finalizers</c> though it never sends such a request.
    /// </summary>
    public const string BlockOwnerDeletionReason =
        "not a request: every child is created with an ownerReference to its CodeExecution that sets blockOwnerDeletion, which the"
        + " OwnerReferencesPermissionEnforcement admission plugin (OpenShift, hardened clusters) allows only to who may update the owner's finalizers";

    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural, "get")]
    public Task<CodeExecution> GetExecutionAsync(string namespaceName, string name, CancellationToken cancellationToken) =>
        client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(
            ApiConstants.Group, ApiConstants.Version, namespaceName, ApiConstants.CodeExecutionPlural, name, cancellationToken);

    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural + "/status", "update")]
    public Task<CodeExecution> ReplaceExecutionStatusAsync(object body, string namespaceName, string name, CancellationToken cancellationToken) =>
        client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<CodeExecution>(
            body, ApiConstants.Group, ApiConstants.Version, namespaceName, ApiConstants.CodeExecutionPlural, name, cancellationToken: cancellationToken);

    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural, "delete")]
    public Task DeleteExecutionAsync(string namespaceName, string name, V1DeleteOptions options, CancellationToken cancellationToken) =>
        client.CustomObjects.DeleteNamespacedCustomObjectAsync(
            ApiConstants.Group, ApiConstants.Version, namespaceName, ApiConstants.CodeExecutionPlural, name, options, cancellationToken: cancellationToken);

    [KubernetesPermission("", "pods", "create")]
    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural + "/finalizers", "update", NotARequest = BlockOwnerDeletionReason)]
    public Task<V1Pod> CreatePodAsync(V1Pod pod, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedPodAsync(pod, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "pods", "get")]
    public Task<V1Pod> ReadPodAsync(string name, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.ReadNamespacedPodAsync(name, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "pods", "delete")]
    public Task DeletePodAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        client.CoreV1.DeleteNamespacedPodAsync(name, namespaceName, options, cancellationToken: cancellationToken);

    [KubernetesPermission("", "pods/log", "get")]
    public Task<Stream> ReadPodLogAsync(string name, string namespaceName, string container, int limitBytes, int? tailLines,
        CancellationToken cancellationToken) =>
        client.CoreV1.ReadNamespacedPodLogAsync(name, namespaceName, container: container, limitBytes: limitBytes, tailLines: tailLines,
            cancellationToken: cancellationToken);

    [KubernetesPermission("networking.k8s.io", "networkpolicies", "create")]
    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural + "/finalizers", "update", NotARequest = BlockOwnerDeletionReason)]
    public Task<V1NetworkPolicy> CreateNetworkPolicyAsync(V1NetworkPolicy policy, string namespaceName, CancellationToken cancellationToken) =>
        client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("networking.k8s.io", "networkpolicies", "get")]
    public Task<V1NetworkPolicy> ReadNetworkPolicyAsync(string name, string namespaceName, CancellationToken cancellationToken) =>
        client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(name, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("networking.k8s.io", "networkpolicies", "delete")]
    public Task DeleteNetworkPolicyAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, namespaceName, options, cancellationToken: cancellationToken);

    [KubernetesPermission("", "configmaps", "create")]
    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural + "/finalizers", "update", NotARequest = BlockOwnerDeletionReason)]
    public Task<V1ConfigMap> CreateConfigMapAsync(V1ConfigMap configMap, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedConfigMapAsync(configMap, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "configmaps", "get")]
    public Task<V1ConfigMap> ReadConfigMapAsync(string name, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.ReadNamespacedConfigMapAsync(name, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "configmaps", "delete")]
    public Task DeleteConfigMapAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        client.CoreV1.DeleteNamespacedConfigMapAsync(name, namespaceName, options, cancellationToken: cancellationToken);

    [KubernetesPermission("", "secrets", "create")]
    [KubernetesPermission(ApiConstants.Group, ApiConstants.CodeExecutionPlural + "/finalizers", "update", NotARequest = BlockOwnerDeletionReason)]
    public Task<V1Secret> CreateSecretAsync(V1Secret secret, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedSecretAsync(secret, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "secrets", "get")]
    public Task<V1Secret> ReadSecretAsync(string name, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.ReadNamespacedSecretAsync(name, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "secrets", "delete")]
    public Task DeleteSecretAsync(string name, string namespaceName, V1DeleteOptions options, CancellationToken cancellationToken) =>
        client.CoreV1.DeleteNamespacedSecretAsync(name, namespaceName, options, cancellationToken: cancellationToken);

    [KubernetesPermission("", "events", "create")]
    public Task CreateEventAsync(Corev1Event @event, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedEventAsync(@event, namespaceName, cancellationToken: cancellationToken);

    [KubernetesPermission("", "resourcequotas", "create")]
    public Task CreateResourceQuotaAsync(V1ResourceQuota quota, string namespaceName, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedResourceQuotaAsync(quota, namespaceName, cancellationToken: cancellationToken);
}
