using System.Globalization;
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
    /// <summary>The only Secret type that may hold code: <c>Opaque</c> (an empty type is defaulted to it by the API server).</summary>
    public const string OpaqueSecretType = "Opaque";

    /// <summary>
    /// Hex SHA-256 of the UTF-8 bytes of the code: status.codeSha256 and the code-sha256 annotation of the Pod and the
    /// code object. Null for code from a Secret: a plain hash of a secret value would let anyone who reads the status
    /// or the Pod test guesses against it offline, without running anything.
    /// </summary>
    public string? Sha256 { get; } = Kind == CodeSourceKind.Secret ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Content)));

    /// <summary>The inline code of <paramref name="execution"/>, or null when it uses codeFrom.</summary>
    public static ResolvedCode? FromInline(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return execution.Spec.Code is { } code ? new ResolvedCode(code, CodeSourceKind.Inline) : null;
    }

    /// <summary>
    /// The code read from the ConfigMap or Secret that <paramref name="execution"/>'s codeFrom names (the reconciler
    /// fetched <paramref name="configMap"/> or <paramref name="secret"/>, null when it does not exist). Null with an
    /// error when the source may not be used, the key is missing or empty, the value is over
    /// <see cref="ApiConstants.MaxCodeFromBytes"/>, or (Secret) the bytes are not UTF-8 text.
    /// <para>
    /// The operator may read every Secret; its author may not. So a Secret is used only when its owner opted in: it
    /// carries the label <see cref="ApiConstants.CodeSourceLabel"/>=true and is of type Opaque (a ServiceAccount token,
    /// a registry credential, a TLS or SSH key, basic-auth or bootstrap token Secret never is, labelled or not). A Secret
    /// that does not exist, is not labelled, is of another type, or lacks the key (or has it empty) gets one and the same
    /// message (<see cref="SecretRefusal"/>), so the refusal tells nothing about which Secrets or keys exist.
    /// </para>
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

        return KindOf(execution) == CodeSourceKind.Secret
            ? FromSecret(reference, secret, out error)
            : FromConfigMap(reference, configMap, out error);
    }

    /// <summary>
    /// The one refusal of a Secret that cannot be a code source, whatever the cause (missing, not labelled, typed,
    /// no such key, empty): it names the requirements, not which one failed.
    /// </summary>
    public static string SecretRefusal(KeyReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return $"the Secret {reference.Name} cannot be read as code: spec.codeFrom.secretKeyRef needs a Secret of type {OpaqueSecretType} "
               + $"labelled {ApiConstants.CodeSourceLabel}=true with a non-empty key {reference.Key}";
    }

    /// <summary>True when <paramref name="secret"/> opted in as a code source: type Opaque (or none) and the label set to "true".</summary>
    public static bool IsCodeSource(V1Secret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return (string.IsNullOrEmpty(secret.Type) || string.Equals(secret.Type, OpaqueSecretType, StringComparison.Ordinal))
               && secret.Metadata?.Labels?.TryGetValue(ApiConstants.CodeSourceLabel, out var value) == true
               && string.Equals(value, "true", StringComparison.Ordinal);
    }

    private static ResolvedCode? FromSecret(KeyReference reference, V1Secret? secret, out string? error)
    {
        if (secret is null || !IsCodeSource(secret) || secret.Data?.TryGetValue(reference.Key, out var bytes) != true || bytes is not { Length: > 0 })
        {
            error = SecretRefusal(reference);
            return null;
        }

        // The Secret opted in: from here on the messages may be specific.
        if (bytes.Length > ApiConstants.MaxCodeFromBytes)
        {
            error = TooLarge("the Secret", reference, bytes.Length);
            return null;
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            error = $"the key {reference.Key} of the Secret {reference.Name} is not UTF-8 text";
            return null;
        }

        error = null;
        return new ResolvedCode(Encoding.UTF8.GetString(bytes), CodeSourceKind.Secret);
    }

    private static ResolvedCode? FromConfigMap(KeyReference reference, V1ConfigMap? configMap, out string? error)
    {
        if (configMap is null)
        {
            error = $"the ConfigMap {reference.Name} named by spec.codeFrom does not exist";
            return null;
        }

        if (configMap.Data?.TryGetValue(reference.Key, out var content) != true || string.IsNullOrEmpty(content))
        {
            error = $"the ConfigMap {reference.Name} has no key {reference.Key} (or it is empty)";
            return null;
        }

        var size = Encoding.UTF8.GetByteCount(content);
        if (size > ApiConstants.MaxCodeFromBytes)
        {
            error = TooLarge("the ConfigMap", reference, size);
            return null;
        }

        error = null;
        return new ResolvedCode(content, CodeSourceKind.ConfigMap);
    }

    private static string TooLarge(string source, KeyReference reference, int size) => string.Create(CultureInfo.InvariantCulture,
        $"the key {reference.Key} of {source} {reference.Name} holds {size} bytes of code; spec.codeFrom may name at most {ApiConstants.MaxCodeFromBytes} bytes ({ApiConstants.MaxCodeFromBytes / 1024} KiB)");

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
