using System.Security.Cryptography;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Sandbox;

/// <summary>Where the code of an execution came from; decides whether its copy is a ConfigMap or a Secret.</summary>
internal enum CodeSourceKind
{
    /// <summary><c>spec.code</c>: copied into a ConfigMap.</summary>
    Inline,
    /// <summary><c>spec.codeFrom.configMapKeyRef</c>: copied into a ConfigMap.</summary>
    ConfigMap,
    /// <summary><c>spec.codeFrom.secretKeyRef</c>: copied into a Secret, so it never lands in a ConfigMap.</summary>
    Secret,
}

/// <summary>The code to run, already read from its source (the reconciler reads codeFrom; the copy is immutable).</summary>
/// <param name="Content">The program text.</param>
/// <param name="Kind">Where it came from.</param>
internal sealed record ResolvedCode(string Content, CodeSourceKind Kind)
{
    /// <summary>Hex SHA-256 of the UTF-8 bytes of the code: status.codeSha256 and the Pod's annotation.</summary>
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Content)));

    /// <summary>The inline code of <paramref name="execution"/>, or null when it uses codeFrom.</summary>
    public static ResolvedCode? FromInline(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return execution.Spec.Code is { } code ? new ResolvedCode(code, CodeSourceKind.Inline) : null;
    }

    /// <summary>
    /// The code read from the ConfigMap or Secret that <paramref name="execution"/>'s codeFrom names (the reconciler
    /// fetched <paramref name="configMap"/> or <paramref name="secret"/>). Null with an error when the key is missing
    /// or empty, or the bytes are not UTF-8 text.
    /// </summary>
    public static ResolvedCode? FromReference(CodeExecution execution, V1ConfigMap? configMap, V1Secret? secret, out string? error)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var from = execution.Spec.CodeFrom;
        var reference = from?.SecretKeyRef ?? from?.ConfigMapKeyRef;
        if (from is null || reference is null)
        {
            error = "spec.codeFrom names no ConfigMap or Secret key";
            return null;
        }

        var kind = KindOf(execution);
        var source = kind == CodeSourceKind.Secret ? "Secret" : "ConfigMap";
        string? content = null;
        if (kind == CodeSourceKind.Secret)
        {
            if (secret?.Data?.TryGetValue(reference.Key, out var bytes) == true)
            {
                if (!System.Text.Unicode.Utf8.IsValid(bytes))
                {
                    error = $"the key {reference.Key} of the Secret {reference.Name} is not UTF-8 text";
                    return null;
                }

                content = Encoding.UTF8.GetString(bytes);
            }
        }
        else if (configMap?.Data?.TryGetValue(reference.Key, out var text) == true)
        {
            content = text;
        }

        if (string.IsNullOrEmpty(content))
        {
            error = (kind == CodeSourceKind.Secret ? secret : (object?)configMap) is null
                ? $"the {source} {reference.Name} named by spec.codeFrom does not exist"
                : $"the {source} {reference.Name} has no key {reference.Key} (or it is empty)";
            return null;
        }

        error = null;
        return new ResolvedCode(content, kind);
    }

    /// <summary>The kind of source <paramref name="execution"/> names.</summary>
    public static CodeSourceKind KindOf(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return execution.Spec.CodeFrom switch
        {
            { SecretKeyRef: not null } => CodeSourceKind.Secret,
            { ConfigMapKeyRef: not null } => CodeSourceKind.ConfigMap,
            _ => CodeSourceKind.Inline,
        };
    }
}

/// <summary>Everything the renderer needs, all decided before rendering (admission done, code read, hosts resolved).</summary>
/// <param name="Execution">The CodeExecution (its metadata needs name, namespace and uid).</param>
/// <param name="Runtime">Its CodeRuntime.</param>
/// <param name="Limits">The admitted limits (<see cref="AdmissionResult.Limits"/>).</param>
/// <param name="Code">The code and where it came from.</param>
/// <param name="Egress">The pinned egress hosts (<see cref="AdmissionResult.Egress"/>); empty for network mode None.</param>
internal sealed record SandboxRequest(
    CodeExecution Execution,
    CodeRuntime Runtime,
    EffectiveLimits Limits,
    ResolvedCode Code,
    IReadOnlyList<PinnedHost> Egress);

/// <summary>The children of one execution, in the order they must be created: the NetworkPolicy before anything else.</summary>
/// <param name="NetworkPolicy">Deny-all (or pinned egress) policy selecting exactly the sandbox Pod.</param>
/// <param name="CodeConfigMap">Immutable copy of code, stdin and files (null when the code came from a Secret).</param>
/// <param name="CodeSecret">Immutable Secret copy (only when the code came from a Secret).</param>
/// <param name="Pod">The sandbox Pod.</param>
internal sealed record SandboxChildren(V1NetworkPolicy NetworkPolicy, V1ConfigMap? CodeConfigMap, V1Secret? CodeSecret, V1Pod Pod)
{
    /// <summary>The children in creation order: NetworkPolicy, code ConfigMap or Secret, Pod.</summary>
    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> InCreationOrder =>
        [NetworkPolicy, (IKubernetesObject<V1ObjectMeta>?)CodeConfigMap ?? CodeSecret!, Pod];
}
