using System.Globalization;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Checks each object a manifest set (helm template, kubectl kustomize) holds as valid for its kind, offline: the
/// kube-apiserver rules these objects can break (name and label syntax, selectors that select the operator's Pods,
/// named ports that exist, references between the objects, requests within limits), plus what makes the set
/// installable (every namespaced object in one namespace, every referenced role and ServiceAccount rendered).
/// Custom resources (CodeRuntimes) are checked by the real CRD API server in the chart tests.
/// </summary>
internal static partial class RenderedObjectChecks
{
    /// <summary>Every problem found, each naming the object; empty when the set is valid.</summary>
    public static List<string> Problems(ManifestSet set, string expectedNamespace)
    {
        var problems = new List<string>();
        var objects = set.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().ToList();
        var deployments = set.All<V1Deployment>().ToList();
        var podLabels = deployments.Select(d => d.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()).ToList();
        var containerPorts = deployments.SelectMany(d => d.Spec.Template.Spec.Containers).SelectMany(c => c.Ports ?? []).ToList();

        foreach (var obj in objects)
        {
            var what = $"{obj.Kind} {obj.Metadata?.Name}";
            CheckMetadata(obj, what, expectedNamespace, problems);
        }

        var duplicates = objects.GroupBy(o => (o.ApiVersion, o.Kind, o.Metadata.NamespaceProperty, o.Metadata.Name)).Where(g => g.Count() > 1);
        problems.AddRange(duplicates.Select(g => $"{g.Key.Kind} {g.Key.Name} is rendered {g.Count()} times"));

        foreach (var deployment in deployments)
        {
            CheckDeployment(deployment, set, problems);
        }

        foreach (var service in set.All<V1Service>())
        {
            var what = $"Service {service.Metadata.Name}";
            Check(service.Spec.Selector is { Count: > 0 } selector && podLabels.Any(l => Selects(selector, l)), $"{what}: its selector selects no operator Pod", problems);
            foreach (var port in service.Spec.Ports ?? [])
            {
                Check(port.Name is null || DnsLabel().IsMatch(port.Name), $"{what}: port name {port.Name} is not a DNS label", problems);
                Check(port.Port is > 0 and < 65536, $"{what}: port {port.Port} is out of range", problems);
                if (port.TargetPort?.Value is { } target && !int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    Check(containerPorts.Any(p => p.Name == target), $"{what}: targetPort {target} names no container port", problems);
                }
            }
        }

        foreach (var budget in set.All<V1PodDisruptionBudget>())
        {
            var what = $"PodDisruptionBudget {budget.Metadata.Name}";
            Check(deployments.Any(d => Selects(budget.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)), $"{what}: its selector selects no operator Pod", problems);
            Check((budget.Spec.MinAvailable is null) != (budget.Spec.MaxUnavailable is null), $"{what}: needs exactly one of minAvailable and maxUnavailable", problems);
            if (budget.Spec.MinAvailable?.Value is { } min && int.TryParse(min, NumberStyles.None, CultureInfo.InvariantCulture, out var minimum))
            {
                Check(deployments.All(d => minimum < (d.Spec.Replicas ?? 1)), $"{what}: minAvailable {minimum} leaves no Pod to evict (a node drain would block)", problems);
            }
        }

        foreach (var policy in set.All<V1NetworkPolicy>())
        {
            var what = $"NetworkPolicy {policy.Metadata.Name}";
            Check(podLabels.Any(l => Selects(policy.Spec.PodSelector.MatchLabels, l)), $"{what}: its podSelector selects no operator Pod", problems);
            foreach (var port in (policy.Spec.Ingress ?? []).SelectMany(i => i.Ports ?? []))
            {
                if (port.Port?.Value is { } named && !int.TryParse(named, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    Check(containerPorts.Any(p => p.Name == named), $"{what}: port {named} names no container port", problems);
                }
            }
        }

        foreach (var monitor in set.All<ServiceMonitorManifest>())
        {
            var what = $"ServiceMonitor {monitor.Metadata.Name}";
            var services = set.All<V1Service>().Where(s => Selects(monitor.Spec.Selector.MatchLabels, s.Metadata.Labels)).ToList();
            Check(services.Count > 0, $"{what}: its selector selects no rendered Service", problems);
            foreach (var endpoint in monitor.Spec.Endpoints)
            {
                Check(services.Any(s => s.Spec.Ports?.Any(p => p.Name == endpoint.Port) == true), $"{what}: endpoint port {endpoint.Port} is no port of the selected Service", problems);
            }
        }

        CheckRbac(set, problems);

        foreach (var runtimeClass in set.All<V1RuntimeClass>())
        {
            Check(DnsLabel().IsMatch(runtimeClass.Handler ?? ""), $"RuntimeClass {runtimeClass.Metadata.Name}: handler {runtimeClass.Handler} is not a DNS label", problems);
        }

        foreach (var priorityClass in set.All<V1PriorityClass>())
        {
            var what = $"PriorityClass {priorityClass.Metadata.Name}";
            Check(priorityClass.Value <= 1_000_000_000, $"{what}: value {priorityClass.Value} is above the 1000000000 user classes may have", problems);
            Check(priorityClass.GlobalDefault != true, $"{what}: is the global default (every Pod of the cluster would get it)", problems);
        }

        CheckAdmissionPolicies(set, problems);
        return problems;
    }

    /// <summary>
    /// ValidatingAdmissionPolicy and its binding as kube-apiserver validates them (pkg/apis/admissionregistration/validation
    /// /validation.go, validateValidatingAdmissionPolicySpec and validateValidatingAdmissionPolicyBindingSpec): failurePolicy
    /// Fail or Ignore, resourceRules present, at least one validation, each with an expression and a known reason; a
    /// binding names a policy (here: one rendered with it) and has unique validationActions of Deny, Warn, Audit, never
    /// Deny with Warn. The CEL itself is not compiled here (no API server with admission runs offline).
    /// </summary>
    private static void CheckAdmissionPolicies(ManifestSet set, List<string> problems)
    {
        string[] reasons = ["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"];
        var policies = set.All<V1ValidatingAdmissionPolicy>().ToList();
        foreach (var policy in policies)
        {
            var what = $"ValidatingAdmissionPolicy {policy.Metadata.Name}";
            var spec = policy.Spec;
            Check(spec.FailurePolicy is null or "Fail" or "Ignore", $"{what}: failurePolicy {spec.FailurePolicy} is not Fail or Ignore", problems);
            Check(spec.MatchConstraints?.ResourceRules is { Count: > 0 }, $"{what}: matchConstraints.resourceRules is required", problems);
            Check(spec.Validations is { Count: > 0 } || spec.AuditAnnotations is { Count: > 0 }, $"{what}: validations or auditAnnotations must contain at least one item", problems);
            foreach (var validation in spec.Validations ?? [])
            {
                Check(!string.IsNullOrWhiteSpace(validation.Expression), $"{what}: a validation has no expression", problems);
                Check(validation.Reason is null || reasons.Contains(validation.Reason), $"{what}: reason {validation.Reason} is not one of {string.Join(", ", reasons)}", problems);
                Check(validation.Message is null || !validation.Message.Contains('\n', StringComparison.Ordinal), $"{what}: message has a line break", problems);
            }
        }

        foreach (var binding in set.All<V1ValidatingAdmissionPolicyBinding>())
        {
            var what = $"ValidatingAdmissionPolicyBinding {binding.Metadata.Name}";
            var actions = binding.Spec.ValidationActions ?? [];
            Check(policies.Any(p => p.Metadata.Name == binding.Spec.PolicyName), $"{what}: policyName {binding.Spec.PolicyName} names no rendered policy", problems);
            Check(actions.Count > 0, $"{what}: validationActions is required", problems);
            Check(actions.All(a => a is "Deny" or "Warn" or "Audit") && actions.Distinct().Count() == actions.Count, $"{what}: validationActions must be unique Deny, Warn or Audit", problems);
            Check(!(actions.Contains("Deny") && actions.Contains("Warn")), $"{what}: Deny and Warn may not both be set", problems);
        }
    }

    private static void CheckMetadata(IKubernetesObject<V1ObjectMeta> obj, string what, string expectedNamespace, List<string> problems)
    {
        var metadata = obj.Metadata;
        if (metadata?.Name is not { } name)
        {
            problems.Add($"{obj.Kind}: has no metadata.name");
            return;
        }

        var isLabelNamed = obj is V1Service or V1Namespace;
        Check(isLabelNamed ? DnsLabel().IsMatch(name) : name.Length <= 253 && DnsSubdomain().IsMatch(name),
            $"{what}: the name is not a DNS {(isLabelNamed ? "label" : "subdomain")}", problems);
        var clusterScoped = obj is V1Namespace or V1ClusterRole or V1ClusterRoleBinding or V1CustomResourceDefinition or V1RuntimeClass
            or V1PriorityClass or Api.CodeRuntime or V1ValidatingAdmissionPolicy or V1ValidatingAdmissionPolicyBinding;
        if (clusterScoped)
        {
            Check(metadata.NamespaceProperty is null, $"{what}: is cluster-scoped but has namespace {metadata.NamespaceProperty}", problems);
        }
        else
        {
            Check(metadata.NamespaceProperty == expectedNamespace, $"{what}: namespace {metadata.NamespaceProperty ?? "(none)"}, expected {expectedNamespace}", problems);
        }

        foreach (var (key, value) in metadata.Labels ?? new Dictionary<string, string>())
        {
            Check(QualifiedName(key), $"{what}: label key {key} is not a qualified name", problems);
            Check(value.Length <= 63 && LabelValue().IsMatch(value), $"{what}: label {key} has an invalid value \"{value}\"", problems);
        }

        foreach (var key in (metadata.Annotations ?? new Dictionary<string, string>()).Keys)
        {
            Check(QualifiedName(key), $"{what}: annotation key {key} is not a qualified name", problems);
        }
    }

    private static void CheckDeployment(V1Deployment deployment, ManifestSet set, List<string> problems)
    {
        var what = $"Deployment {deployment.Metadata.Name}";
        var template = deployment.Spec.Template;
        Check(deployment.Spec.Selector?.MatchLabels is { Count: > 0 } selector && Selects(selector, template.Metadata?.Labels),
            $"{what}: spec.selector does not select its own Pod template", problems);
        var pod = template.Spec;
        var volumes = (pod.Volumes ?? []).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in (pod.InitContainers ?? []).Concat(pod.Containers))
        {
            var at = $"{what}: container {container.Name}";
            Check(DnsLabel().IsMatch(container.Name) && names.Add(container.Name), $"{at}: the name is not a unique DNS label", problems);
            Check(!string.IsNullOrEmpty(container.Image), $"{at}: has no image", problems);
            var ports = container.Ports ?? [];
            foreach (var port in ports)
            {
                Check(port.Name is null || (port.Name.Length <= 15 && PortName().IsMatch(port.Name)), $"{at}: port name {port.Name} is not an IANA service name", problems);
                Check(port.ContainerPort is > 0 and < 65536, $"{at}: containerPort {port.ContainerPort} is out of range", problems);
            }

            foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe }.OfType<V1Probe>())
            {
                if (probe.HttpGet?.Port?.Value is { } port && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    Check(ports.Any(p => p.Name == port), $"{at}: a probe's port {port} names no port of the container", problems);
                }
            }

            foreach (var env in container.Env ?? [])
            {
                Check(EnvName().IsMatch(env.Name), $"{at}: env name {env.Name} is invalid", problems);
            }

            foreach (var mount in container.VolumeMounts ?? [])
            {
                Check(volumes.Contains(mount.Name), $"{at}: mounts volume {mount.Name}, which the Pod does not have", problems);
            }

            var requests = container.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            var limits = container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            foreach (var (resource, request) in requests)
            {
                if (limits.TryGetValue(resource, out var limit))
                {
                    Check(request.ToDecimal() <= limit.ToDecimal(), $"{at}: requests.{resource} {request} is above limits.{resource} {limit}", problems);
                }
            }
        }

        if (pod.ServiceAccountName is { } account)
        {
            Check(DnsSubdomain().IsMatch(account), $"{what}: serviceAccountName {account} is not a DNS subdomain", problems);
            Check(account == "default" || set.All<V1ServiceAccount>().Any(s => s.Metadata.Name == account) || !ChartCreatesServiceAccounts(set),
                $"{what}: runs as ServiceAccount {account}, which is not rendered", problems);
        }
    }

    private static bool ChartCreatesServiceAccounts(ManifestSet set) => set.All<V1ServiceAccount>().Any();

    private static void CheckRbac(ManifestSet set, List<string> problems)
    {
        var roles = set.All<V1Role>().Select(r => ("Role", r.Metadata.Name, (IList<V1PolicyRule>)(r.Rules ?? [])))
            .Concat(set.All<V1ClusterRole>().Select(r => ("ClusterRole", r.Metadata.Name, (IList<V1PolicyRule>)(r.Rules ?? []))))
            .ToList();
        foreach (var (kind, name, rules) in roles)
        {
            foreach (var rule in rules)
            {
                Check(rule.Verbs is { Count: > 0 }, $"{kind} {name}: a rule has no verbs", problems);
                Check(rule.ApiGroups is { Count: > 0 } && rule.Resources is { Count: > 0 }, $"{kind} {name}: a rule lacks apiGroups or resources", problems);
            }
        }

        var bindings = set.All<V1RoleBinding>().Select(b => ($"RoleBinding {b.Metadata.Name}", b.RoleRef, b.Subjects ?? []))
            .Concat(set.All<V1ClusterRoleBinding>().Select(b => ($"ClusterRoleBinding {b.Metadata.Name}", b.RoleRef, b.Subjects ?? [])));
        foreach (var (what, roleRef, subjects) in bindings)
        {
            Check(roleRef.ApiGroup == "rbac.authorization.k8s.io", $"{what}: roleRef.apiGroup {roleRef.ApiGroup}", problems);
            Check(roles.Any(r => r.Item1 == roleRef.Kind && r.Item2 == roleRef.Name), $"{what}: binds {roleRef.Kind} {roleRef.Name}, which is not rendered", problems);
            Check(subjects.Count > 0, $"{what}: has no subjects", problems);
            foreach (var subject in subjects.Where(s => s.Kind == "ServiceAccount"))
            {
                Check(!string.IsNullOrEmpty(subject.NamespaceProperty), $"{what}: ServiceAccount subject {subject.Name} has no namespace", problems);
                Check(!ChartCreatesServiceAccounts(set) || set.All<V1ServiceAccount>().Any(s => s.Metadata.Name == subject.Name),
                    $"{what}: binds ServiceAccount {subject.Name}, which is not rendered", problems);
            }
        }
    }

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    private static bool QualifiedName(string key)
    {
        var slash = key.LastIndexOf('/');
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        return (prefix is null || (prefix.Length <= 253 && DnsSubdomain().IsMatch(prefix))) && name.Length is > 0 and <= 63 && QualifiedNamePart().IsMatch(name);
    }

    private static void Check(bool condition, string problem, List<string> problems)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex PortName();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvName();
}
