using CodeExec.Api;
using System.Security.Cryptography;
using System.Text;

namespace CodeExec.Operator.Sandbox;

/// <summary>Deterministic names and labels of the children of one CodeExecution (see the pod contract).</summary>
internal static class SandboxNames
{
    /// <summary>Longest child name and label value we produce (a DNS label, so it also fits hostnames and label values).</summary>
    public const int MaxLength = 63;

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "codeexec-operator";
    public const string ExecutionLabel = "codeexec.dev/execution";
    public const string ExecutionUidLabel = "codeexec.dev/execution-uid";
    public const string RoleLabel = "codeexec.dev/role";
    public const string RoleSandbox = "sandbox";
    public const string RoleCode = "code";
    public const string RoleNetwork = "network";

    /// <summary>Annotation on the Pod and code object: hex SHA-256 of the code.</summary>
    public const string CodeSha256Annotation = "codeexec.dev/code-sha256";

    /// <summary>Annotation on the Pod: the CodeRuntime it was rendered from.</summary>
    public const string RuntimeAnnotation = "codeexec.dev/runtime";

    /// <summary>Name of the sandbox Pod: <c>&lt;cx&gt;-sandbox</c>.</summary>
    public static string Pod(string executionName) => WithSuffix(executionName, "-sandbox");

    /// <summary>Name of the code ConfigMap or Secret: <c>&lt;cx&gt;-code</c>.</summary>
    public static string Code(string executionName) => WithSuffix(executionName, "-code");

    /// <summary>Name of the deny-all NetworkPolicy: <c>&lt;cx&gt;-deny-all</c>.</summary>
    public static string DenyAllPolicy(string executionName) => WithSuffix(executionName, "-deny-all");

    /// <summary>Name of the pinned-egress NetworkPolicy: <c>&lt;cx&gt;-egress</c>.</summary>
    public static string EgressPolicy(string executionName) => WithSuffix(executionName, "-egress");

    /// <summary>
    /// Name of the NetworkPolicy of <paramref name="execution"/>: pinned egress for network mode Egress (admission lets
    /// an Egress execution through only with at least one pinned host), deny-all otherwise.
    /// </summary>
    public static string NetworkPolicy(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var name = execution.Metadata.Name ?? "";
        return execution.Spec.Network?.Mode == NetworkModes.Egress ? EgressPolicy(name) : DenyAllPolicy(name);
    }

    /// <summary>The value of the <c>codeexec.dev/execution</c> label: the name, or a truncated name with a hash when longer than 63.</summary>
    public static string ExecutionLabelValue(string executionName) => WithSuffix(executionName, "");

    /// <summary>
    /// <paramref name="name"/> + <paramref name="suffix"/> when it fits in 63 characters; otherwise the name cut short,
    /// a dash, 10 hex characters of the SHA-256 of the full name, and the suffix. Distinct long names stay distinct.
    /// </summary>
    public static string WithSuffix(string name, string suffix)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(suffix);
        if (name.Length + suffix.Length <= MaxLength)
        {
            return name + suffix;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..10];
        var keep = MaxLength - suffix.Length - hash.Length - 1;
        var prefix = name[..keep].TrimEnd('-', '.');
        return prefix + "-" + hash + suffix;
    }

    /// <summary>A label selector (for list and watch) matching every child of the named execution.</summary>
    public static string ChildSelector(string executionName) =>
        ManagedByLabel + "=" + ManagedByValue + "," + ExecutionLabel + "=" + ExecutionLabelValue(executionName);

    /// <summary>The labels of every child of an execution.</summary>
    public static Dictionary<string, string> Labels(string executionName, string? executionUid, string role)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedByLabel] = ManagedByValue,
            [ExecutionLabel] = ExecutionLabelValue(executionName),
            [RoleLabel] = role,
        };
        if (!string.IsNullOrEmpty(executionUid))
        {
            labels[ExecutionUidLabel] = executionUid;
        }

        return labels;
    }
}
