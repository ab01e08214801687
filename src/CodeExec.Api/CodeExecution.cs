using System.Text.Json.Serialization;
using CodeExec.Api.Validation;
using k8s;
using k8s.Models;

namespace CodeExec.Api;

/// <summary>
/// A piece of untrusted code to run once in a hardened sandbox. The operator runs it in a gVisor Pod with no network,
/// no privileges and hard limits, then writes its stdout, stderr, exit code and the reason it ended into status.
/// </summary>
public sealed class CodeExecution : IKubernetesObject<V1ObjectMeta>, ISpec<CodeExecutionSpec>, IStatus<CodeExecutionStatus?>
{
    /// <summary>APIVersion defines the versioned schema of this representation of an object.</summary>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiConstants.ApiVersion;

    /// <summary>Kind is a string value representing the REST resource this object represents.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ApiConstants.CodeExecutionKind;

    /// <summary>Standard object metadata.</summary>
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>What to run and within which limits. Immutable once created.</summary>
    [JsonPropertyName("spec")]
    [RequiredField]
    [CelRule("self == oldSelf", ValidationMessages.SpecImmutable,
        Reason = "FieldValueForbidden")]
    public CodeExecutionSpec Spec { get; set; } = new();

    /// <summary>What the operator observed: phase, result and output. Written only by the operator.</summary>
    [JsonPropertyName("status")]
    public CodeExecutionStatus? Status { get; set; }
}

/// <summary>A list of CodeExecutions.</summary>
public sealed class CodeExecutionList : IKubernetesObject<V1ListMeta>, IItems<CodeExecution>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiConstants.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ApiConstants.CodeExecutionKind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<CodeExecution> Items { get; set; } = [];
}

/// <summary>The code to run, its inputs and its limits.</summary>
[CelRule("has(self.code) != has(self.codeFrom)", ValidationMessages.ExactlyOneCodeSource,
    Reason = "FieldValueInvalid")]
public sealed class CodeExecutionSpec
{
    /// <summary>
    /// Name of the cluster-scoped CodeRuntime to run the code with (for example python, node, bash). The runtime fixes the
    /// image, the interpreter and the security settings. Omitted: the CodeRuntime annotated
    /// codeexec.dev/is-default-runtime=true.
    /// </summary>
    [JsonPropertyName("runtime")]
    [Length(1, 253)]
    [CelRule("self.matches('" + ApiConstants.DnsSubdomainCelPattern + "')", ValidationMessages.RuntimeName)]
    public string? Runtime { get; set; }

    /// <summary>The source code to run, inline. At most 128 KiB; use codeFrom for larger programs. Exactly one of code and codeFrom.</summary>
    [JsonPropertyName("code")]
    [Length(1, ApiConstants.MaxInlineCodeBytes)]
    public string? Code { get; set; }

    /// <summary>Reads the source code from a key of a ConfigMap or Secret in the same namespace. Exactly one of code and codeFrom.</summary>
    [JsonPropertyName("codeFrom")]
    public CodeSource? CodeFrom { get; set; }

    /// <summary>Text given to the program on its standard input. At most 32 KiB.</summary>
    [JsonPropertyName("stdin")]
    [Length(0, ApiConstants.MaxStdinBytes)]
    public string? Stdin { get; set; }

    /// <summary>Command-line arguments passed to the program after the code file. At most 32, each at most 1024 characters.</summary>
    [JsonPropertyName("args")]
    [Items(0, ApiConstants.MaxArgs)]
    [Length(0, 1024)]
    public IList<string>? Args { get; set; }

    /// <summary>Environment variables for the program, as plain values (no references to Secrets or the Pod).</summary>
    [JsonPropertyName("env")]
    [Items(0, ApiConstants.MaxEnv)]
    [ListMapKey("name")]
    public IList<EnvVar>? Env { get; set; }

    /// <summary>Extra input files, written read-only next to the code file. At most 8 files of 8 KiB each.</summary>
    [JsonPropertyName("files")]
    [Items(0, ApiConstants.MaxFiles)]
    [ListMapKey("name")]
    public IList<InputFile>? Files { get; set; }

    /// <summary>Resource and time limits. Omitted fields take the runtime's defaults; no field may exceed the runtime's maxima.</summary>
    [JsonPropertyName("limits")]
    public ExecutionLimits? Limits { get; set; }

    /// <summary>Network access. Omitted: none at all (no DNS, no egress, no ingress).</summary>
    [JsonPropertyName("network")]
    public NetworkAccess? Network { get; set; }

    /// <summary>Seconds after the execution finished when the operator deletes the CodeExecution. Omitted: the operator's configured default. 0 deletes it as soon as its result is written. Above the operator's configured maximum (one day by default) the execution is Rejected.</summary>
    [JsonPropertyName("ttlSecondsAfterFinished")]
    [Range(0, ApiConstants.MaxTtlSecondsAfterFinished)]
    public int? TtlSecondsAfterFinished { get; set; }
}

/// <summary>Where to read the code from. Exactly one of configMapKeyRef and secretKeyRef.</summary>
[CelRule("has(self.configMapKeyRef) != has(self.secretKeyRef)", ValidationMessages.ExactlyOneKeyReference)]
public sealed class CodeSource
{
    /// <summary>A key of a ConfigMap in the CodeExecution's namespace.</summary>
    [JsonPropertyName("configMapKeyRef")]
    public KeyReference? ConfigMapKeyRef { get; set; }

    /// <summary>A key of a Secret in the CodeExecution's namespace.</summary>
    [JsonPropertyName("secretKeyRef")]
    public KeyReference? SecretKeyRef { get; set; }
}

/// <summary>A key of an object in the CodeExecution's own namespace. There is no namespace field: an execution can only read its own namespace.</summary>
public sealed class KeyReference
{
    /// <summary>Name of the ConfigMap or Secret.</summary>
    [JsonPropertyName("name")]
    [RequiredField]
    [Length(1, 253)]
    [Pattern(ApiConstants.DnsSubdomainPattern)]
    public string Name { get; set; } = "";

    /// <summary>The key whose value is the code.</summary>
    [JsonPropertyName("key")]
    [RequiredField]
    [Length(1, 253)]
    [Pattern(@"^[-._a-zA-Z0-9]+$")]
    public string Key { get; set; } = "";
}

/// <summary>One environment variable.</summary>
public sealed class EnvVar
{
    /// <summary>Variable name: a letter or underscore, then letters, digits or underscores.</summary>
    [JsonPropertyName("name")]
    [RequiredField]
    [Length(1, 128)]
    [CelRule("self.matches('" + ApiConstants.EnvNamePattern + "')",
        ValidationMessages.EnvName)]
    public string Name { get; set; } = "";

    /// <summary>Variable value, at most 1024 characters.</summary>
    [JsonPropertyName("value")]
    [Length(0, 1024)]
    public string? Value { get; set; }
}

/// <summary>An extra input file.</summary>
public sealed class InputFile
{
    /// <summary>File name, without any directory: letters, digits, '.', '_' and '-'; not '..' or a name containing it.</summary>
    [JsonPropertyName("name")]
    [RequiredField]
    [Length(1, 253)]
    [CelRule("!self.contains('/') && !self.contains('..') && self.matches('" + ApiConstants.SafeFileNamePattern + "')",
        ValidationMessages.FileName)]
    public string Name { get; set; } = "";

    /// <summary>File content as text, at most 8 KiB.</summary>
    [JsonPropertyName("content")]
    [RequiredField]
    [Length(0, ApiConstants.MaxFileBytes)]
    public string Content { get; set; } = "";
}

/// <summary>Limits on one execution. Each is enforced by the kernel, the kubelet or the operator, never by the code.</summary>
public sealed class ExecutionLimits
{
    /// <summary>Wall-clock seconds the code may run before it is killed (phase TimedOut). 1 to 86400.</summary>
    [JsonPropertyName("timeoutSeconds")]
    [Range(1, ApiConstants.MaxTimeoutSeconds)]
    public int? TimeoutSeconds { get; set; }

    /// <summary>CPU the sandbox may use, as a Kubernetes quantity (for example 500m or 1).</summary>
    [JsonPropertyName("cpu")]
    [Quantity]
    public ResourceQuantity? Cpu { get; set; }

    /// <summary>Memory the sandbox may use, as a Kubernetes quantity (for example 256Mi). Going over it ends the code with OOMKilled.</summary>
    [JsonPropertyName("memory")]
    [Quantity]
    public ResourceQuantity? Memory { get; set; }

    /// <summary>Most processes and threads the code may have at once (stops fork bombs). 1 to 32768.</summary>
    [JsonPropertyName("processes")]
    [Range(1, 32768)]
    public int? Processes { get; set; }

    /// <summary>Size of the writable /tmp, the only writable place; bounds every file the code writes (for example 64Mi).</summary>
    [JsonPropertyName("tmpSize")]
    [Quantity]
    public ResourceQuantity? TmpSize { get; set; }

    /// <summary>Bytes of stdout and of stderr each kept in status; beyond it the head and tail are kept and the stream is marked truncated. 1024 to 262144.</summary>
    [JsonPropertyName("outputBytes")]
    [Range(1024, ApiConstants.MaxOutputBytes)]
    public int? OutputBytes { get; set; }
}

/// <summary>Network access for the code.</summary>
[CelRule("self.mode == 'Egress' ? (has(self.allowedHosts) && size(self.allowedHosts) > 0) : (!has(self.allowedHosts) || size(self.allowedHosts) == 0)",
    ValidationMessages.EgressHosts)]
public sealed class NetworkAccess
{
    /// <summary>None: no network at all. Egress: outbound HTTP(S) only to allowedHosts, through the egress proxy, and only when the runtime permits it.</summary>
    [JsonPropertyName("mode")]
    [OneOf("None", "Egress")]
    [DefaultValue("None")]
    public string Mode { get; set; } = NetworkModes.None;

    /// <summary>Host names the code may reach when mode is Egress, each one also allowed by the runtime. No IP addresses, no wildcards.</summary>
    [JsonPropertyName("allowedHosts")]
    [Items(0, 16)]
    [ListSet]
    [Length(1, 253)]
    [Pattern(ApiConstants.DnsSubdomainPattern)]
    [CelRule("!self.matches('^[0-9.]+$')", ValidationMessages.HostNotIpAddress)]
    public IList<string>? AllowedHosts { get; set; }
}

/// <summary>The values of <c>spec.network.mode</c>.</summary>
public static class NetworkModes
{
    public const string None = "None";
    public const string Egress = "Egress";
}

/// <summary>The observed state of a CodeExecution.</summary>
public sealed class CodeExecutionStatus
{
    /// <summary>Where the execution is: Pending, Queued, Running, Succeeded, Failed, TimedOut or Rejected. The last four are final.</summary>
    [JsonPropertyName("phase")]
    [OneOf("Pending", "Queued", "Running", "Succeeded", "Failed", "TimedOut", "Rejected")]
    public string? Phase { get; set; }

    /// <summary>Standard conditions: Admitted, PodCreated, Started, Finished.</summary>
    [JsonPropertyName("conditions")]
    [ListMapKey("type")]
    public IList<V1Condition>? Conditions { get; set; }

    /// <summary>The code's exit code, as the kubelet reported it.</summary>
    [JsonPropertyName("exitCode")]
    public int? ExitCode { get; set; }

    /// <summary>Why the execution ended, in one word: Completed, Error, DeadlineExceeded, OOMKilled, OutputLimitExceeded, Evicted, PodDeleted, ImagePullFailed, Unschedulable, StartTimeout, Rejected, PodRejected, ChildRejected, QuotaExceeded, NameConflict, IsolationLost.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    /// <summary>A sentence for people on what happened.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; set; }

    /// <summary>What the code wrote to standard output, at most limits.outputBytes (head and tail kept when longer).</summary>
    [JsonPropertyName("stdout")]
    public string? Stdout { get; set; }

    /// <summary>What the code wrote to standard error, at most limits.outputBytes (head and tail kept when longer).</summary>
    [JsonPropertyName("stderr")]
    public string? Stderr { get; set; }

    /// <summary>How stdout is encoded: utf-8 (text as written) or base64 (the bytes were not valid UTF-8, or JSON escaping would have made them larger than base64).</summary>
    [JsonPropertyName("stdoutEncoding")]
    [OneOf("utf-8", "base64")]
    public string? StdoutEncoding { get; set; }

    /// <summary>How stderr is encoded: utf-8 (text as written) or base64 (the bytes were not valid UTF-8, or JSON escaping would have made them larger than base64).</summary>
    [JsonPropertyName("stderrEncoding")]
    [OneOf("utf-8", "base64")]
    public string? StderrEncoding { get; set; }

    /// <summary>True when the middle of stdout was cut: it was longer than limits.outputBytes, or than what kept the CodeExecution under its size limit.</summary>
    [JsonPropertyName("stdoutTruncated")]
    public bool? StdoutTruncated { get; set; }

    /// <summary>True when the middle of stderr was cut: it was longer than limits.outputBytes, or than what kept the CodeExecution under its size limit.</summary>
    [JsonPropertyName("stderrTruncated")]
    public bool? StderrTruncated { get; set; }

    /// <summary>Total bytes the code wrote to stdout, truncated or not.</summary>
    [JsonPropertyName("stdoutBytes")]
    public long? StdoutBytes { get; set; }

    /// <summary>Total bytes the code wrote to stderr, truncated or not.</summary>
    [JsonPropertyName("stderrBytes")]
    public long? StderrBytes { get; set; }

    /// <summary>When the code started running.</summary>
    [JsonPropertyName("startTime")]
    public DateTime? StartTime { get; set; }

    /// <summary>When the execution reached a final phase.</summary>
    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }

    /// <summary>Milliseconds from startTime to completionTime.</summary>
    [JsonPropertyName("durationMs")]
    public long? DurationMs { get; set; }

    /// <summary>durationMs for people, such as 1.25s or 2m3s.</summary>
    [JsonPropertyName("duration")]
    public string? Duration { get; set; }

    /// <summary>The CodeRuntime the execution was admitted with.</summary>
    [JsonPropertyName("runtime")]
    public string? Runtime { get; set; }

    /// <summary>Name of the sandbox Pod.</summary>
    [JsonPropertyName("podName")]
    public string? PodName { get; set; }

    /// <summary>UID of the sandbox Pod the operator created: only this Pod's status and output are ever read as the result.</summary>
    [JsonPropertyName("podUID")]
    public string? PodUid { get; set; }

    /// <summary>UID of the execution's NetworkPolicy as the operator created it; one deleted, replaced or changed ends the execution.</summary>
    [JsonPropertyName("networkPolicyUID")]
    public string? NetworkPolicyUid { get; set; }

    /// <summary>UID of the immutable code ConfigMap or Secret as the operator created it.</summary>
    [JsonPropertyName("codeObjectUID")]
    public string? CodeObjectUid { get; set; }

    /// <summary>The admitted limits.outputBytes: the bound used to read the collector's record.</summary>
    [JsonPropertyName("outputBytes")]
    public int? OutputBytes { get; set; }

    /// <summary>The image the code ran in.</summary>
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    /// <summary>Hex SHA-256 of the code that ran.</summary>
    [JsonPropertyName("codeSha256")]
    public string? CodeSha256 { get; set; }

    /// <summary>The metadata.generation this status describes.</summary>
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }
}
