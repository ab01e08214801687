using CodeExec.Operator.Sandbox;

namespace CodeExec.Operator.Reconciliation;

/// <summary>The verdict of <see cref="Admission.Admit"/>: either admitted with its effective limits, or rejected with every reason.</summary>
internal sealed class AdmissionResult
{
    private AdmissionResult(IReadOnlyList<string> errors, EffectiveLimits? limits, IReadOnlyList<PinnedHost> egress, string? runtimeName)
    {
        Errors = errors;
        Limits = limits;
        Egress = egress;
        RuntimeName = runtimeName;
    }

    /// <summary>True when nothing is wrong; <see cref="Limits"/> is then set.</summary>
    public bool IsAdmitted => Errors.Count == 0;

    /// <summary>Every reason for rejecting, each a sentence naming the field and the value (empty when admitted).</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>All errors in one message for status.message, or null when admitted.</summary>
    public string? Message => IsAdmitted ? null : string.Join("; ", Errors);

    /// <summary>The effective limits (null when rejected).</summary>
    public EffectiveLimits? Limits { get; }

    /// <summary>The allowed hosts with the addresses the NetworkPolicy pins (empty unless network mode is Egress).</summary>
    public IReadOnlyList<PinnedHost> Egress { get; }

    /// <summary>Name of the CodeRuntime the execution was checked against (null when it was not found).</summary>
    public string? RuntimeName { get; }

    internal static AdmissionResult Admitted(EffectiveLimits limits, IReadOnlyList<PinnedHost> egress, string runtimeName) =>
        new([], limits, egress, runtimeName);

    internal static AdmissionResult Rejected(IReadOnlyList<string> errors, string? runtimeName) =>
        new(errors, null, [], runtimeName);
}
