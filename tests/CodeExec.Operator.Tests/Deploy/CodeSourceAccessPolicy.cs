using k8s.Models;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// What the code-source admission policy of config/admission-policy and the chart must do (security review finding
/// 3): refuse, on create, a CodeExecution whose author may not <c>get</c> the Secret (and the ConfigMap) that
/// <c>spec.codeFrom</c> names, in every namespace, with failurePolicy Fail. The CEL is compared as text: no API server
/// with admission runs here to compile or evaluate it.
/// </summary>
internal static class CodeSourceAccessPolicy
{
    /// <summary>The authorizer check of the review's fix, for <paramref name="resource"/> named by <paramref name="reference"/>.</summary>
    public static string AuthorizerCheck(string resource, string reference) =>
        $"authorizer.group('').resource('{resource}').namespace(request.namespace).name(object.spec.codeFrom.{reference}.name).check('get').allowed()";

    /// <summary>Every way <paramref name="policy"/> and <paramref name="binding"/> fall short; empty when they do the job.</summary>
    public static List<string> Problems(V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(binding);
        var problems = new List<string>();
        var validations = policy.Spec.Validations ?? [];
        foreach (var (resource, reference) in new[] { ("secrets", "secretKeyRef"), ("configmaps", "configMapKeyRef") })
        {
            var guard = $"!has(object.spec.codeFrom) || !has(object.spec.codeFrom.{reference}) || {AuthorizerCheck(resource, reference)}";
            if (!validations.Any(v => Normalize(v.Expression) == guard))
            {
                problems.Add($"no validation checks the author's get on {resource} named by spec.codeFrom.{reference}");
            }
        }

        var matchesCreate = policy.Spec.MatchConstraints?.ResourceRules?.Any(r =>
            (r.ApiGroups ?? []).Contains("codeexec.dev") && (r.Resources ?? []).Contains("codeexecutions")
            && (r.Operations ?? []).Any(o => o is "CREATE" or "*")) == true;
        if (!matchesCreate)
        {
            problems.Add("the policy does not match the create of codeexecutions.codeexec.dev");
        }

        if (policy.Spec.FailurePolicy is not (null or "Fail"))
        {
            problems.Add($"failurePolicy is {policy.Spec.FailurePolicy}: an API server that cannot evaluate the policy would let every execution through");
        }

        if (binding.Spec.PolicyName != policy.Metadata.Name)
        {
            problems.Add($"the binding names the policy {binding.Spec.PolicyName}, not {policy.Metadata.Name}");
        }

        if (!(binding.Spec.ValidationActions ?? []).Contains("Deny"))
        {
            problems.Add($"the binding does not Deny (validationActions {string.Join(", ", binding.Spec.ValidationActions ?? [])})");
        }

        if (binding.Spec.MatchResources is { } scope && (scope.NamespaceSelector?.MatchLabels is { Count: > 0 } || scope.NamespaceSelector?.MatchExpressions is { Count: > 0 }
                                                         || scope.ObjectSelector is not null || scope.ResourceRules is { Count: > 0 }))
        {
            problems.Add("the binding is narrowed by matchResources: it must apply in every namespace");
        }

        return problems;
    }

    private static string Normalize(string? expression) => string.Join(' ', (expression ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
