using System.Net;
using System.Text.Json.Nodes;
using CodeExec.Api;
using CodeExec.Operator.Output;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// The size bounds of a CodeExecution's status writes, and the body the reconciler sends.
/// <para>
/// Upstream limits: etcd refuses a request larger than <c>--max-request-bytes</c>, 1.5 MiB by default
/// (<c>etcd embed/config.go</c> <c>DefaultMaxRequestBytes</c>; kube-apiserver answers 500 "etcdserver: request is too
/// large"), and it stores the object as Go's <c>encoding/json</c> writes it (<see cref="JsonSize"/>); kube-apiserver
/// refuses a request body over 3 MiB with 413 (<c>k8s.io/apiserver/pkg/server/config.go</c> <c>MaxRequestBodyBytes</c>,
/// the <c>DefaultMaxRequestSizeBytes</c> of <c>k8s.io/apiserver/pkg/cel/limits.go</c>).
/// </para>
/// </summary>
internal static class StatusSize
{
    /// <summary>
    /// Most bytes the stored CodeExecution (metadata, spec and status, as Go's <c>encoding/json</c> writes them) may
    /// take after a final status write: 1 MiB, two thirds of etcd's default 1.5 MiB request limit. The rest is left
    /// for what the operator does not write: the managedFields entry the API server adds, labels and annotations other
    /// clients add later, and etcd's own envelope; it also keeps each watch event and cached object below 1 MiB.
    /// </summary>
    public const long MaxStoredObjectBytes = 1024 * 1024;

    /// <summary>
    /// Most bytes a status write's body may take as the .NET client sends it: 2 MiB, under kube-apiserver's 3 MiB
    /// request body limit (the client escapes HTML characters, <c>+</c> and non-ASCII characters, so the body can be
    /// larger than what is stored).
    /// </summary>
    public const long MaxSentBodyBytes = 2 * 1024 * 1024;

    /// <summary>
    /// Room kept for the parts of a final status whose length depends on how the output was cut (the messages that
    /// describe it, twice: message and the Finished condition) and for the managedFields entry the server adds.
    /// </summary>
    public const long SlackBytes = 16 * 1024;

    /// <summary>
    /// The body of a status write: identity and resourceVersion (a stale one gets 409) and the new status. The spec is
    /// left out: the status subresource takes only status from the body (apiextensions-apiserver
    /// <c>pkg/registry/customresource/status_strategy.go</c> <c>PrepareForUpdate</c> copies everything else from the
    /// stored object), and the spec can be larger on the wire than in etcd.
    /// </summary>
    public static JsonObject WriteBody(CodeExecution execution, CodeExecutionStatus status)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(status);
        var metadata = execution.Metadata;
        var body = new CodeExecution
        {
            Metadata = new V1ObjectMeta
            {
                Name = metadata.Name,
                NamespaceProperty = metadata.NamespaceProperty,
                ResourceVersion = metadata.ResourceVersion,
                Uid = metadata.Uid,
            },
            Status = status,
        };
        var node = JsonNode.Parse(KubernetesJson.Serialize(body))!.AsObject();
        node.Remove("spec");
        return node;
    }

    /// <summary>Bytes the object takes stored once <paramref name="status"/> is written (metadata and spec as read).</summary>
    public static long StoredBytes(CodeExecution execution, CodeExecutionStatus status)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return JsonSize.GoEncodedLength(new CodeExecution { Metadata = execution.Metadata, Spec = execution.Spec, Status = status });
    }

    /// <summary>Bytes the status write of <paramref name="status"/> sends.</summary>
    public static long SentBytes(CodeExecution execution, CodeExecutionStatus status) => JsonSize.SentLength(WriteBody(execution, status));

    /// <summary>Whether a final status of this size can be written.</summary>
    public static bool Fits(CodeExecution execution, CodeExecutionStatus status) =>
        StoredBytes(execution, status) + SlackBytes <= MaxStoredObjectBytes && SentBytes(execution, status) + SlackBytes <= MaxSentBodyBytes;

    /// <summary>
    /// True when the API server refused a write for its size or content, so the same write would be refused again:
    /// 413 (body over the limit), 422 (invalid), or 500 with etcd's "request is too large".
    /// </summary>
    public static bool IsRefusedForSize(HttpOperationException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Response.StatusCode == HttpStatusCode.UnprocessableEntity || IsTooLarge(e);
    }

    /// <summary>
    /// True when the API server refused a write for its size alone: 413 (body over 3 MiB) or 500 with etcd's "request is
    /// too large" (object over etcd's limit), the answers kube-apiserver gives.
    /// </summary>
    public static bool IsTooLarge(HttpOperationException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Response.StatusCode == HttpStatusCode.RequestEntityTooLarge
            || (e.Response.StatusCode == HttpStatusCode.InternalServerError
                && e.Response.Content?.Contains("request is too large", StringComparison.OrdinalIgnoreCase) == true);
    }
}
