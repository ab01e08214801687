using System.Security.Cryptography;
using System.Text;
using CodeExec.Api;

namespace CodeExec.Operator.Sandbox;

/// <summary>Deterministic names (unique per execution UID) and labels of the children of one CodeExecution (see the pod contract).</summary>
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

    /// <summary>Annotation on the Pod and code object: hex SHA-256 of the code; absent for code from a Secret (<see cref="ResolvedCode.Sha256"/>).</summary>
    public const string CodeSha256Annotation = "codeexec.dev/code-sha256";

    /// <summary>Annotation on the Pod: the CodeRuntime it was rendered from.</summary>
    public const string RuntimeAnnotation = "codeexec.dev/runtime";

    /// <summary>Hex characters of the execution's UID in each child name.</summary>
    public const int UidPartLength = 8;

    /// <summary>Hex characters of the hash in a name that had to be shortened.</summary>
    public const int HashLength = 10;

    /// <summary>Name of the sandbox Pod: <c>&lt;cx&gt;-&lt;uid8&gt;-sandbox</c>.</summary>
    public static string Pod(CodeExecution execution) => Child(execution, "-sandbox");

    /// <summary>Name of the code ConfigMap or Secret: <c>&lt;cx&gt;-&lt;uid8&gt;-code</c>.</summary>
    public static string Code(CodeExecution execution) => Child(execution, "-code");

    /// <summary>
    /// Name of the NetworkPolicy of <paramref name="execution"/>: <c>&lt;cx&gt;-&lt;uid8&gt;-egress</c> (pinned egress) for
    /// network mode Egress (admission lets an Egress execution through only with at least one pinned host),
    /// <c>&lt;cx&gt;-&lt;uid8&gt;-deny-all</c> otherwise.
    /// </summary>
    public static string NetworkPolicy(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return Child(execution, execution.Spec.Network?.Mode == NetworkModes.Egress ? "-egress" : "-deny-all");
    }

    /// <summary>
    /// The name of a child of the execution <paramref name="executionName"/> with UID <paramref name="executionUid"/>:
    /// <c>&lt;name&gt;-&lt;uid8&gt;&lt;suffix&gt;</c>, where uid8 is the first 8 hex characters of the UID, when that fits in 63
    /// characters; otherwise the name cut short, a dash, 10 hex characters of the SHA-256 of the full name and UID, and
    /// the suffix. The UID makes every execution's names its own: a predecessor of the same name, or an execution whose
    /// name equals the shortened form of a long one, gets other names (both forms end in a part that depends on the UID,
    /// which nobody chooses). An execution without a UID (<c>render</c> of a file) gets <see cref="WithSuffix"/>.
    /// </summary>
    public static string Child(string executionName, string? executionUid, string suffix)
    {
        ArgumentNullException.ThrowIfNull(executionName);
        ArgumentNullException.ThrowIfNull(suffix);
        var uid = (executionUid ?? "").Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (uid.Length == 0)
        {
            return WithSuffix(executionName, suffix);
        }

        var uidPart = uid.Length > UidPartLength ? uid[..UidPartLength] : uid;
        if (executionName.Length + 1 + uidPart.Length + suffix.Length <= MaxLength)
        {
            return executionName + "-" + uidPart + suffix;
        }

        return Shortened(executionName, executionName + "/" + executionUid, suffix);
    }

    private static string Child(CodeExecution execution, string suffix)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return Child(execution.Metadata.Name ?? "", execution.Metadata.Uid, suffix);
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
        return name.Length + suffix.Length <= MaxLength ? name + suffix : Shortened(name, name, suffix);
    }

    private static string Shortened(string name, string hashed, string suffix)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashed)))[..HashLength];
        var keep = MaxLength - suffix.Length - hash.Length - 1;
        var prefix = name[..Math.Min(keep, name.Length)].TrimEnd('-', '.');
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
