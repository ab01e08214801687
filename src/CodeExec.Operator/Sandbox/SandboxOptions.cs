using CodeExec.Api;
using k8s.Models;

namespace CodeExec.Operator.Sandbox;

/// <summary>
/// Operator-wide settings of every sandbox Pod, bound by the host from the configuration section <see cref="SectionName"/>.
/// The defaults are the production values; each one is documented on its property.
/// </summary>
internal sealed class SandboxOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Sandbox";

    /// <summary>The built-in default of <c>limits.outputBytes</c>: 64 KiB per stream.</summary>
    public const int BuiltInDefaultOutputBytes = 64 * 1024;

    /// <summary>
    /// Image of the output collector sidecar. It is the operator's own image (the collector is the operator binary's
    /// <c>collect</c> command), so no third image has to be trusted.
    /// </summary>
    public string CollectorImage { get; set; } = "ghcr.io/codeexec/codeexec-operator:latest";

    /// <summary>Pull policy of the collector image.</summary>
    public string CollectorImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>The collector command of the operator image.</summary>
    public static readonly IReadOnlyList<string> DefaultCollectorCommand = ["/app/codeexec-operator", "collect"];

    /// <summary>
    /// Command that starts the collector (null: <see cref="DefaultCollectorCommand"/>); the renderer appends
    /// <c>--dir /codeexec/out --limit-bytes N</c> as args. Tests and demos point it at a locally built operator
    /// (<c>dotnet /path/codeexec-operator.dll collect</c>). Null by default because configuration binding appends to lists.
    /// </summary>
    public IList<string>? CollectorCommand { get; set; }

    /// <summary>The command the collector container runs.</summary>
    public IReadOnlyList<string> EffectiveCollectorCommand =>
        CollectorCommand is { Count: > 0 } command ? [.. command] : DefaultCollectorCommand;

    /// <summary>Non-zero UID (and GID) of the collector; it must differ from every runtime's UID so the code cannot signal or trace it.</summary>
    public long CollectorUid { get; set; } = 65533;

    /// <summary>CPU limit (= request) of the collector sidecar.</summary>
    public string CollectorCpu { get; set; } = "100m";

    /// <summary>Memory limit (= request) of the collector sidecar: the .NET collector keeps at most twice the output limit in memory, and its startupProbe runs a second, short-lived process beside it.</summary>
    public string CollectorMemory { get; set; } = "128Mi";

    /// <summary>
    /// Size of the in-memory volume the code's stdout and stderr are written to (and the file size rlimit of the code).
    /// A program that writes more is stopped by SIGXFSZ; what it wrote before is still collected.
    /// </summary>
    public string OutputBufferSize { get; set; } = "16Mi";

    /// <summary>RuntimeClass used when a CodeRuntime leaves <c>runtimeClassName</c> empty.</summary>
    public string DefaultRuntimeClassName { get; set; } = ApiConstants.DefaultRuntimeClassName;

    /// <summary>PriorityClass of every sandbox Pod (lets a ResourceQuota scoped to it bound sandbox pods only). Null: none.</summary>
    public string? PriorityClassName { get; set; }

    /// <summary>Default of <c>limits.outputBytes</c> (per stream) when neither the execution nor its runtime sets it.</summary>
    public int DefaultOutputBytes { get; set; } = BuiltInDefaultOutputBytes;

    /// <summary>Cluster maximum of <c>limits.outputBytes</c> (per stream); never above <see cref="ApiConstants.MaxOutputBytes"/>.</summary>
    public int MaxOutputBytes { get; set; } = ApiConstants.MaxOutputBytes;

    /// <summary>Default of <c>spec.ttlSecondsAfterFinished</c>: one hour.</summary>
    public int DefaultTtlSecondsAfterFinished { get; set; } = 3600;

    /// <summary>
    /// Cluster maximum of <c>spec.ttlSecondsAfterFinished</c>: one day by default, at most the CRD's 30 days. A larger
    /// value is Rejected at admission, and no finished or Rejected execution is kept longer than this, except one whose
    /// code ran (not Rejected) that carries GitOps tracking metadata and sets no TTL of its own (see GitOpsTracking).
    /// </summary>
    public int MaxTtlSecondsAfterFinished { get; set; } = 24 * 3600;

    /// <summary>
    /// Most CodeExecutions one namespace may hold, finished and unfinished (Rejected ones too, until their TTL): one
    /// created when the namespace already holds this many older ones is Rejected at admission. 0 means no limit. The
    /// API server's own cap is a ResourceQuota on <c>count/codeexecutions.codeexec.dev</c>.
    /// </summary>
    public int MaxExecutionsPerNamespace { get; set; } = 500;

    /// <summary>How long a sandbox Pod may stay Pending (unscheduled, pulling, starting) before the execution fails with StartTimeout.</summary>
    public TimeSpan StartDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Grace the kubelet gives the containers after SIGTERM; the collector needs well under a second.</summary>
    public long TerminationGracePeriodSeconds { get; set; } = 5;

    /// <summary>Optional egress proxy sidecar for executions in network mode Egress. Null: pinned addresses only.</summary>
    public EgressProxyOptions? EgressProxy { get; set; }

    /// <summary>
    /// The cluster's DNS domain (kubelet <c>clusterDomain</c>, default <c>cluster.local</c>). Egress hosts in it, under
    /// <c>.svc</c>, or of a single label are refused at admission: they name Services, not public hosts.
    /// </summary>
    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>
    /// The cluster's own address ranges, such as the Pod and Service CIDRs (<c>10.244.0.0/16</c>, <c>10.96.0.0/12</c>):
    /// an egress host resolving into one is refused at admission unless the runtime's <c>egress.allowedCIDRs</c> allow
    /// it. Private ranges are refused anyway; list them when the cluster uses public or otherwise routable ranges, and
    /// for clearer messages. Null or empty: none.
    /// </summary>
    public IList<string>? ClusterCIDRs { get; set; }

    /// <summary>
    /// True sets the AppArmor profile <c>RuntimeDefault</c> on every sandbox Pod (<c>securityContext.appArmorProfile</c>,
    /// Kubernetes 1.30+). Off by default: the kubelet refuses to start a Pod with an AppArmor profile on a node without
    /// AppArmor, and gVisor's runsc ignores the OCI AppArmor profile (google/gvisor issue 511), so it matters for
    /// RuntimeClasses other than gVisor.
    /// </summary>
    public bool AppArmorRuntimeDefault { get; set; }

    /// <summary>
    /// True runs sandbox Pods in a user namespace (<c>hostUsers: false</c>): UID 0 inside maps to an unprivileged UID
    /// on the node. Off by default: it needs the <c>UserNamespacesSupport</c> feature (beta, on by default since
    /// Kubernetes 1.33), Linux 6.3+ with idmap mounts on tmpfs, and a runtime handler that supports it.
    /// </summary>
    public bool UserNamespaces { get; set; }

    /// <summary>
    /// A seccomp profile installed on every node, relative to the kubelet's seccomp directory
    /// (<c>/var/lib/kubelet/seccomp</c>), such as <c>profiles/codeexec.json</c>: sandbox Pods and their containers then
    /// use seccomp type <c>Localhost</c> with this <c>localhostProfile</c> instead of <c>RuntimeDefault</c>. Null or empty: RuntimeDefault.
    /// A node without the file fails the Pod's containers with <c>CreateContainerError</c>. Under gVisor, OCI seccomp
    /// filters are loaded inside the sandbox only when runsc runs with <c>--oci-seccomp</c>.
    /// </summary>
    public string? SeccompLocalhostProfile { get; set; }

    /// <summary>What is wrong with these options (empty when they are usable); the host checks this at start.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(CollectorImage))
        {
            errors.Add("Sandbox:CollectorImage must be set");
        }

        if (CollectorImagePullPolicy is not ("Always" or "IfNotPresent" or "Never"))
        {
            // kube-apiserver refuses any other value on every sandbox Pod (validatePullPolicy, supportedPullPolicies).
            errors.Add($"Sandbox:CollectorImagePullPolicy '{CollectorImagePullPolicy}' must be Always, IfNotPresent or Never");
        }

        if (CollectorUid <= 0)
        {
            errors.Add("Sandbox:CollectorUid must be a non-zero UID");
        }

        CheckQuantity(errors, nameof(CollectorCpu), CollectorCpu);
        CheckQuantity(errors, nameof(CollectorMemory), CollectorMemory);
        CheckQuantity(errors, nameof(OutputBufferSize), OutputBufferSize);
        if (MaxOutputBytes < 1024 || MaxOutputBytes > ApiConstants.MaxOutputBytes)
        {
            errors.Add($"Sandbox:MaxOutputBytes must be between 1024 and {ApiConstants.MaxOutputBytes}");
        }

        if (DefaultOutputBytes < 1024 || DefaultOutputBytes > MaxOutputBytes)
        {
            errors.Add("Sandbox:DefaultOutputBytes must be between 1024 and Sandbox:MaxOutputBytes");
        }

        if (MaxTtlSecondsAfterFinished < 0 || MaxTtlSecondsAfterFinished > ApiConstants.MaxTtlSecondsAfterFinished)
        {
            errors.Add($"Sandbox:MaxTtlSecondsAfterFinished must be between 0 and {ApiConstants.MaxTtlSecondsAfterFinished}");
        }

        if (DefaultTtlSecondsAfterFinished < 0 || DefaultTtlSecondsAfterFinished > Math.Min(MaxTtlSecondsAfterFinished, ApiConstants.MaxTtlSecondsAfterFinished))
        {
            errors.Add("Sandbox:DefaultTtlSecondsAfterFinished must be between 0 and Sandbox:MaxTtlSecondsAfterFinished");
        }

        if (MaxExecutionsPerNamespace < 0)
        {
            errors.Add("Sandbox:MaxExecutionsPerNamespace must be 0 (no limit) or more");
        }

        if (StartDeadline <= TimeSpan.Zero)
        {
            errors.Add("Sandbox:StartDeadline must be positive");
        }

        if (TerminationGracePeriodSeconds < 1)
        {
            errors.Add("Sandbox:TerminationGracePeriodSeconds must be at least 1 (the collector prints on SIGTERM)");
        }

        if (EgressProxy is { } proxy && (string.IsNullOrWhiteSpace(proxy.Image) || proxy.Command.Count == 0 || proxy.Port is < 1 or > 65535 || proxy.Uid <= 0 || proxy.Uid == CollectorUid))
        {
            errors.Add("Sandbox:EgressProxy needs an Image, a Command, a Port from 1 to 65535 and a non-zero Uid other than the collector's");
        }

        foreach (var invalid in Reconciliation.EgressAddresses.ParseCidrs(ClusterCIDRs).Invalid)
        {
            errors.Add("Sandbox:ClusterCIDRs: " + invalid);
        }

        if (SeccompLocalhostProfile is { Length: > 0 } profile && !IsLocalDescendingPath(profile))
        {
            errors.Add($"Sandbox:SeccompLocalhostProfile '{profile}' must be a relative path without '..' (validateSeccompProfileField)");
        }

        return errors;
    }

    /// <summary>
    /// Upstream's <c>validateLocalDescendingPath</c> for a seccomp <c>localhostProfile</c>: not absolute and no '..'
    /// path element (pkg/apis/core/validation/validation.go). Empty means unset.
    /// </summary>
    private static bool IsLocalDescendingPath(string path) =>
        !path.StartsWith('/') && !path.Split('/', '\\').Contains("..", StringComparer.Ordinal);

    private static void CheckQuantity(List<string> errors, string name, string value)
    {
        if (!Reconciliation.Quantities.TryParse(value, out var parsed))
        {
            errors.Add($"Sandbox:{name} '{value}' is not a Kubernetes quantity");
        }
        else if (parsed <= 0)
        {
            errors.Add($"Sandbox:{name} must be greater than 0");
        }
    }
}

/// <summary>
/// An HTTP(S) proxy run as a sidecar of Egress sandboxes. It is told the allowed hosts in <c>CODEEXEC_ALLOWED_HOSTS</c>
/// (comma-separated) and the port in <c>CODEEXEC_PROXY_PORT</c>; the code gets HTTP_PROXY/HTTPS_PROXY pointing at it.
/// The NetworkPolicy pins the allowed addresses either way, so code that bypasses the proxy reaches nothing else.
/// </summary>
internal sealed class EgressProxyOptions
{
    /// <summary>Image of the proxy.</summary>
    public string Image { get; set; } = "";

    /// <summary>Command of the proxy.</summary>
    public IList<string> Command { get; set; } = [];

    /// <summary>Port the proxy listens on, on localhost.</summary>
    public int Port { get; set; } = 3128;

    /// <summary>Non-zero UID of the proxy.</summary>
    public long Uid { get; set; } = 65534;
}
