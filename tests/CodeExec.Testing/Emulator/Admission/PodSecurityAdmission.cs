using CodeExec.Testing.PodSecurity;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>PodSecurity</c> admission plugin (<c>k8s.io/pod-security-admission/admission</c>, <c>EvaluatePod</c>) in
/// enforce mode: the namespace's <c>pod-security.kubernetes.io/enforce</c> label picks the level (privileged,
/// baseline, restricted) and <c>pod-security.kubernetes.io/enforce-version</c> the policy version (default
/// <c>latest</c>); a pod violating it is 403 <c>pods "x" is forbidden: violates PodSecurity "restricted:latest":
/// reason (detail), ...</c>. An invalid level enforces <c>restricted</c> and an invalid version <c>latest</c>, as
/// upstream's <c>PolicyToEvaluate</c> does with invalid labels. The checks are <see cref="PodSecurityStandards"/>. Not emulated: the audit and warn modes,
/// exemptions, and the checks on pod updates and on workload templates.
/// </summary>
internal sealed class PodSecurityAdmission(ResourceRegistry registry, ObjectStore store) : IAdmissionPlugin
{
    public const string EnforceLabel = "pod-security.kubernetes.io/enforce";
    public const string EnforceVersionLabel = "pod-security.kubernetes.io/enforce-version";

    public string Name => AdmissionPlugins.PodSecurity;

    public void Validate(AdmissionRequest request)
    {
        if (!request.IsPod)
        {
            return;
        }

        var labels = store.Get(registry.Namespaces.StorageKey, "", request.Namespace)?.Labels;
        var levelText = ObjectMeta.GetString(labels, EnforceLabel);
        if (levelText is null)
        {
            return;
        }

        // Invalid values fall back to the strictest reading: level restricted, version latest (api.PolicyToEvaluate).
        var level = PodSecurityStandards.ParseLevel(levelText) ?? PodSecurityLevel.Restricted;
        var versionText = ObjectMeta.GetString(labels, EnforceVersionLabel) ?? "latest";
        if (PodSecurityStandards.ParseVersion(versionText) is null)
        {
            versionText = "latest";
        }

        var violations = PodSecurityStandards.Check(request.Object, level, versionText);
        if (violations.Count > 0)
        {
            var policy = $"{level.ToString().ToLowerInvariant()}:{versionText}";
            throw request.Forbidden($"violates PodSecurity \"{policy}\": {PodSecurityStandards.Describe(violations)}");
        }
    }
}
