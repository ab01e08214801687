namespace CodeExec.Api;

/// <summary>Names shared by the operator, the CLI, the CRDs and the tests.</summary>
public static class ApiConstants
{
    public const string Group = "codeexec.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    public const string CodeExecutionKind = "CodeExecution";
    public const string CodeExecutionPlural = "codeexecutions";
    public const string CodeExecutionSingular = "codeexecution";

    public const string CodeRuntimeKind = "CodeRuntime";
    public const string CodeRuntimePlural = "coderuntimes";
    public const string CodeRuntimeSingular = "coderuntime";

    public const string Category = "codeexec";

    /// <summary>Annotation an administrator puts on one CodeRuntime to make it the runtime of executions that name none.</summary>
    public const string DefaultRuntimeAnnotation = "codeexec.dev/is-default-runtime";

    /// <summary>The RuntimeClass used when a CodeRuntime names none: gVisor (handler <c>runsc</c>).</summary>
    public const string DefaultRuntimeClassName = "gvisor";

    /// <summary>Largest inline <c>spec.code</c>: small enough that the object (and kubectl's last-applied annotation) stays far below etcd's 1.5 MiB.</summary>
    public const int MaxInlineCodeBytes = 128 * 1024;
    public const int MaxStdinBytes = 32 * 1024;
    public const int MaxFiles = 8;
    public const int MaxFileBytes = 8 * 1024;
    public const int MaxArgs = 32;
    public const int MaxEnv = 32;
    public const int MaxTimeoutSeconds = 24 * 60 * 60;
    /// <summary>Hard ceiling of <c>limits.outputBytes</c> per stream; the operator's configured cluster maximum may be lower.</summary>
    public const int MaxOutputBytes = 256 * 1024;
    public const int MaxTtlSecondsAfterFinished = 30 * 24 * 60 * 60;

    public const string DnsSubdomainPattern = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /// <summary><see cref="DnsSubdomainPattern"/> for CEL string literals, which take no <c>\.</c> escape: the dot is written <c>[.]</c>.</summary>
    public const string DnsSubdomainCelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /// <summary>The shape of an IPv4 or IPv6 CIDR (address/prefix length); the operator parses it fully at admission.</summary>
    public const string CidrPattern = "^[0-9a-fA-F:.]+/[0-9]{1,3}$";
    public const string EnvNamePattern = "^[A-Za-z_][A-Za-z0-9_]*$";
    public const string SafeFileNamePattern = "^[A-Za-z0-9._-]+$";
    /// <summary>The Kubernetes resource.Quantity syntax, as the API server's own schemas use it.</summary>
    public const string QuantityPattern = @"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
}

/// <summary>The values of <c>status.phase</c>.</summary>
public static class ExecutionPhase
{
    /// <summary>Seen by the operator, not yet admitted.</summary>
    public const string Pending = "Pending";
    /// <summary>Admitted, waiting for namespace capacity.</summary>
    public const string Queued = "Queued";
    /// <summary>The sandbox Pod exists and has not finished.</summary>
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string TimedOut = "TimedOut";
    /// <summary>Refused at admission: nothing was created.</summary>
    public const string Rejected = "Rejected";

    public static readonly IReadOnlyList<string> All = [Pending, Queued, Running, Succeeded, Failed, TimedOut, Rejected];

    public static bool IsFinal(string? phase) => phase is Succeeded or Failed or TimedOut or Rejected;
}

/// <summary>The values of <c>status.reason</c>: why an execution ended (or why it waits).</summary>
public static class ExecutionReason
{
    /// <summary>The code exited 0.</summary>
    public const string Completed = "Completed";
    /// <summary>The code exited with a non-zero code.</summary>
    public const string Error = "Error";
    /// <summary>The wall-clock timeout ended the code.</summary>
    public const string DeadlineExceeded = "DeadlineExceeded";
    /// <summary>The code filled the output buffer (stdout and stderr together); its further writes failed.</summary>
    public const string OutputLimitExceeded = "OutputLimitExceeded";
    /// <summary>The memory limit was hit and the kernel killed the code.</summary>
    public const string OOMKilled = "OOMKilled";
    /// <summary>The node evicted the sandbox Pod.</summary>
    public const string Evicted = "Evicted";
    /// <summary>The sandbox Pod was deleted by someone other than the operator before it finished.</summary>
    public const string PodDeleted = "PodDeleted";
    /// <summary>The runtime image could not be pulled.</summary>
    public const string ImagePullFailed = "ImagePullFailed";
    /// <summary>No node could run the Pod (for example, no node has the RuntimeClass).</summary>
    public const string Unschedulable = "Unschedulable";
    /// <summary>The Pod did not start within the operator's start deadline.</summary>
    public const string StartTimeout = "StartTimeout";
    /// <summary>Admission refused the execution; the message says why.</summary>
    public const string Rejected = "Rejected";
    /// <summary>
    /// Phase Queued: waiting for the namespace's concurrency limit. Phase Failed: the API server refused the sandbox Pod
    /// (or another child) with 403 "exceeded quota" or "failed quota" (a ResourceQuota); the message quotes it.
    /// </summary>
    public const string QuotaExceeded = "QuotaExceeded";
    /// <summary>The API server refused to create the sandbox Pod (invalid, forbidden by admission); the message quotes it.</summary>
    public const string PodRejected = "PodRejected";
    /// <summary>The API server refused to create the NetworkPolicy or the code ConfigMap/Secret; the message quotes it.</summary>
    public const string ChildRejected = "ChildRejected";
    /// <summary>A child's name is taken by an object that is not this execution's: nothing of it was used and no Pod was created.</summary>
    public const string NameConflict = "NameConflict";
    /// <summary>The execution's NetworkPolicy or code object was deleted, replaced or changed before the result was stored.</summary>
    public const string IsolationLost = "IsolationLost";
}
