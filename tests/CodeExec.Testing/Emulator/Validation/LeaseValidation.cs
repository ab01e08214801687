using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// Lease validation of <c>pkg/apis/coordination/validation</c>: <c>ValidateLease</c>, <c>ValidateLeaseUpdate</c>,
/// <c>ValidateLeaseSpec</c> and <c>ValidateCoordinatedLeaseStrategy</c>.
/// </summary>
internal static class LeaseValidation
{
    private static readonly string[] LeaseStrategies = ["OldestEmulationVersion"];

    /// <summary>ValidateLease: metadata (apimachinery's rules, DNS-1123 subdomain names) and the spec.</summary>
    public static List<MetaFieldError> ValidateLease(JsonObject lease)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(lease, true, Content.NameIsDnsSubdomain);
        errors.AddRange(ValidateLeaseSpec(lease["spec"] as JsonObject ?? [], "spec"));
        return errors;
    }

    /// <summary>ValidateLeaseUpdate: metadata update and the new spec.</summary>
    public static List<MetaFieldError> ValidateLeaseUpdate(JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old);
        errors.AddRange(ValidateLeaseSpec(next["spec"] as JsonObject ?? [], "spec"));
        return errors;
    }

    /// <summary>
    /// ValidateLeaseSpec: leaseDurationSeconds above 0, leaseTransitions not negative, a known or qualified
    /// strategy, and preferredHolder only with a strategy.
    /// </summary>
    public static List<MetaFieldError> ValidateLeaseSpec(JsonObject spec, string path)
    {
        var errors = new List<MetaFieldError>();
        if (ObjectMeta.GetLong(spec, "leaseDurationSeconds") is <= 0 and var duration)
        {
            errors.Add(FieldErrors.Invalid(path + ".leaseDurationSeconds", duration, "must be greater than 0"));
        }

        if (ObjectMeta.GetLong(spec, "leaseTransitions") is < 0 and var transitions)
        {
            errors.Add(FieldErrors.Invalid(path + ".leaseTransitions", transitions, "must be greater than or equal to 0"));
        }

        var strategy = ObjectMeta.GetString(spec, "strategy");
        if (strategy is not null)
        {
            errors.AddRange(ValidateCoordinatedLeaseStrategy(strategy, path + ".strategy"));
        }

        if (!string.IsNullOrEmpty(ObjectMeta.GetString(spec, "preferredHolder")) && string.IsNullOrEmpty(strategy))
        {
            errors.Add(FieldErrors.Forbidden(path + ".preferredHolder", "may only be specified if `strategy` is defined"));
        }

        return errors;
    }

    /// <summary>
    /// ValidateCoordinatedLeaseStrategy: an unprefixed strategy must be a Kubernetes one, a prefixed one a qualified
    /// name. Upstream appends "strategy" to the path it is given, so errors read <c>spec.strategy.strategy</c>.
    /// </summary>
    public static List<MetaFieldError> ValidateCoordinatedLeaseStrategy(string strategy, string path)
    {
        var errors = new List<MetaFieldError>();
        if (!strategy.Contains('/', StringComparison.Ordinal))
        {
            if (!LeaseStrategies.Contains(strategy))
            {
                errors.Add(FieldErrors.NotSupported(path + ".strategy", strategy, LeaseStrategies));
            }
        }
        else
        {
            errors.AddRange(Content.IsQualifiedName(strategy).Select(m => FieldErrors.Invalid(path + ".strategy", strategy, m)));
        }

        return errors;
    }
}
