using CodeExec.Operator.Hosting;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>Builds config/ with <c>kubectl kustomize</c> and checks what a cluster administrator would install.</summary>
public sealed class KustomizeConfigTests
{
    private const string Namespace = "codeexec-system";
    private const string Name = "codeexec-operator";

    [Fact]
    public void Operator_deployment_is_restricted_compliant_with_probes_resources_and_leader_election()
    {
        var manifests = Kustomize.BuildDefault();

        var deployment = manifests.Single<V1Deployment>(Name);

        Assert.Empty(OperatorDeploymentChecks.Problems(deployment, expectedReplicas: 2));
        Assert.Equal(Namespace, deployment.Metadata.NamespaceProperty);
    }

    [Fact]
    public void Restricted_check_reports_a_deployment_that_allows_privilege_escalation_or_root()
    {
        var deployment = Kustomize.BuildDefault().Single<V1Deployment>(Name);
        var pod = deployment.Spec.Template.Spec;
        var manager = OperatorDeploymentChecks.Manager(deployment);

        manager.SecurityContext.AllowPrivilegeEscalation = true;
        manager.SecurityContext.RunAsNonRoot = null;
        pod.SecurityContext.RunAsNonRoot = null;
        pod.Volumes.Add(new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = "/" } });

        var violations = RestrictedPodSecurity.Violations(pod);
        Assert.Contains("container manager does not set allowPrivilegeEscalation false", violations);
        Assert.Contains("container manager may run as root (runAsNonRoot not true)", violations);
        Assert.Contains("volume host is of kind hostPath", violations);
    }

    [Fact]
    public void Every_object_of_config_default_is_valid_for_its_kind()
    {
        var problems = RenderedObjectChecks.Problems(Kustomize.BuildDefault(), Namespace);

        Assert.True(problems.Count == 0, "kubectl kustomize config/default:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Namespace_enforces_the_restricted_pod_security_standard()
    {
        var ns = Kustomize.BuildDefault().Single<V1Namespace>(Namespace);

        Assert.Equal("restricted", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void Every_namespaced_object_lands_in_codeexec_system()
    {
        var manifests = Kustomize.BuildDefault();

        var namespaced = manifests.Objects.OfType<IMetadata<V1ObjectMeta>>()
            .Where(o => o is not (V1Namespace or V1ClusterRole or V1ClusterRoleBinding or V1CustomResourceDefinition
                or V1RuntimeClass or V1PriorityClass or V1ValidatingAdmissionPolicy or V1ValidatingAdmissionPolicyBinding))
            .ToList();

        Assert.NotEmpty(namespaced);
        Assert.All(namespaced, o => Assert.Equal(Namespace, o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Cluster_role_has_no_wildcard_and_exactly_the_verbs_the_operator_uses()
    {
        var role = Kustomize.BuildDefault().Single<V1ClusterRole>(Name);

        Assert.Empty(RoleRules.Differences(role.Rules, OperatorPermissions.Derive().ClusterWide));
    }

    [Fact]
    public void Permission_check_reports_wildcards_extra_verbs_and_missing_grants()
    {
        var role = Kustomize.BuildDefault().Single<V1ClusterRole>(Name);
        var rules = role.Rules.Where(r => !(r.Resources ?? []).Contains("pods/log")).ToList();
        rules.Add(new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["*"] });
        rules.Add(new V1PolicyRule { ApiGroups = ["apps"], Resources = ["deployments"], Verbs = ["get"] });

        var problems = RoleRules.Differences(rules, OperatorPermissions.Derive().ClusterWide);

        Assert.Contains("wildcard in rule /pods: *", problems);
        Assert.Contains("pods: verb * is granted but not used", problems);
        Assert.Contains("deployments.apps is granted but the operator does not use it", problems);
        Assert.Contains("pods/log: verb get is needed but not granted", problems);
    }

    [Fact]
    public void Leader_election_is_a_namespaced_role_on_leases_only()
    {
        var manifests = Kustomize.BuildDefault();

        var role = manifests.Single<V1Role>($"{Name}-leader-election");

        Assert.Equal(Namespace, role.Metadata.NamespaceProperty);
        Assert.Empty(RoleRules.Differences(role.Rules, OperatorPermissions.Derive().LeaderElection));
    }

    [Fact]
    public void Both_roles_are_bound_to_the_operator_service_account_that_the_deployment_uses()
    {
        var manifests = Kustomize.BuildDefault();
        var account = manifests.Single<V1ServiceAccount>(Name);
        var deployment = manifests.Single<V1Deployment>(Name);

        var clusterBinding = manifests.Single<V1ClusterRoleBinding>(Name);
        var leaderBinding = manifests.Single<V1RoleBinding>($"{Name}-leader-election");

        Assert.Equal(account.Metadata.Name, deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal((Name, "ClusterRole"), (clusterBinding.RoleRef.Name, clusterBinding.RoleRef.Kind));
        Assert.Equal(($"{Name}-leader-election", "Role"), (leaderBinding.RoleRef.Name, leaderBinding.RoleRef.Kind));
        foreach (var subjects in new[] { clusterBinding.Subjects, leaderBinding.Subjects })
        {
            var subject = Assert.Single(subjects);
            Assert.Equal(("ServiceAccount", Name, Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        }
    }

    [Fact]
    public void Crds_of_both_kinds_are_included_as_generated()
    {
        var manifests = Kustomize.BuildDefault();

        var crds = manifests.All<V1CustomResourceDefinition>().ToDictionary(c => c.Metadata.Name);

        Assert.Equal(["codeexecutions.codeexec.dev", "coderuntimes.codeexec.dev"], crds.Keys.Order());
        Assert.Equal("Namespaced", crds["codeexecutions.codeexec.dev"].Spec.Scope);
        Assert.Equal("Cluster", crds["coderuntimes.codeexec.dev"].Spec.Scope);
    }

    [Fact]
    public void Sandbox_runtime_class_and_priority_class_exist_and_the_operator_uses_them()
    {
        var manifests = Kustomize.BuildDefault();
        var manager = OperatorDeploymentChecks.Manager(manifests.Single<V1Deployment>(Name));

        var runtimeClass = manifests.Single<V1RuntimeClass>("gvisor");
        var priorityClass = manifests.Single<V1PriorityClass>("codeexec-sandbox");

        Assert.Equal("runsc", runtimeClass.Handler);
        // Finding 15: gVisor's own memory and CPU are charged to each sandbox Pod (spec.overhead), hence to the quota.
        Assert.Equal(("128Mi", "100m"), (runtimeClass.Overhead.PodFixed["memory"].ToString(), runtimeClass.Overhead.PodFixed["cpu"].ToString()));
        Assert.Equal("Never", priorityClass.PreemptionPolicy);
        Assert.NotEqual(true, priorityClass.GlobalDefault);
        Assert.Equal(runtimeClass.Metadata.Name, OperatorDeploymentChecks.Env(manager, "Sandbox__DefaultRuntimeClassName"));
        Assert.Equal(priorityClass.Metadata.Name, OperatorDeploymentChecks.Env(manager, "Sandbox__PriorityClassName"));
    }

    [Fact]
    public void Metrics_service_selects_the_operator_pods_on_the_http_port()
    {
        var manifests = Kustomize.BuildDefault();
        var deployment = manifests.Single<V1Deployment>(Name);

        var service = manifests.Single<V1Service>($"{Name}-metrics");

        var podLabels = deployment.Spec.Template.Metadata.Labels;
        Assert.All(service.Spec.Selector, pair => Assert.Equal(pair.Value, podLabels[pair.Key]));
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(("metrics", "http"), (port.Name, port.TargetPort.Value));
    }

    [Fact]
    public void Code_source_access_policy_authorises_the_author_for_the_secret_and_config_map_it_names()
    {
        var manifests = Kustomize.BuildDefault();

        var policy = manifests.Single<V1ValidatingAdmissionPolicy>("codeexec-code-source-access");
        var binding = manifests.Single<V1ValidatingAdmissionPolicyBinding>("codeexec-code-source-access");

        Assert.Empty(CodeSourceAccessPolicy.Problems(policy, binding));
    }

    [Fact]
    public void Code_source_access_check_reports_a_policy_that_checks_nothing_or_only_warns()
    {
        var manifests = Kustomize.BuildDefault();
        var policy = manifests.Single<V1ValidatingAdmissionPolicy>("codeexec-code-source-access");
        var binding = manifests.Single<V1ValidatingAdmissionPolicyBinding>("codeexec-code-source-access");
        policy.Spec.Validations = [new V1Validation { Expression = "true" }];
        policy.Spec.MatchConstraints.ResourceRules[0].Operations = ["UPDATE"];
        binding.Spec.ValidationActions = ["Warn"];

        var problems = CodeSourceAccessPolicy.Problems(policy, binding);

        Assert.Contains("no validation checks the author's get on secrets named by spec.codeFrom.secretKeyRef", problems);
        Assert.Contains("the policy does not match the create of codeexecutions.codeexec.dev", problems);
        Assert.Contains("the binding does not Deny (validationActions Warn)", problems);
    }

    [Fact]
    public void Object_checks_report_an_admission_policy_binding_kube_apiserver_would_refuse()
    {
        var manifests = Kustomize.BuildDefault();
        var binding = manifests.Single<V1ValidatingAdmissionPolicyBinding>("codeexec-code-source-access");
        var policy = manifests.Single<V1ValidatingAdmissionPolicy>("codeexec-code-source-access");
        binding.Spec.PolicyName = "elsewhere";
        binding.Spec.ValidationActions = ["Deny", "Warn"];
        policy.Spec.Validations[0].Reason = "Teapot";

        var problems = RenderedObjectChecks.Problems(manifests, Namespace);

        Assert.Contains("ValidatingAdmissionPolicyBinding codeexec-code-source-access: policyName elsewhere names no rendered policy", problems);
        Assert.Contains("ValidatingAdmissionPolicyBinding codeexec-code-source-access: Deny and Warn may not both be set", problems);
        Assert.Contains("ValidatingAdmissionPolicy codeexec-code-source-access: reason Teapot is not one of Unauthorized, Forbidden, Invalid, RequestEntityTooLarge", problems);
    }

    [Fact]
    public void Tenant_quota_example_counts_sandbox_pods_and_code_executions()
    {
        var manifests = Kustomize.Build("config/runtime/tenant-quota");

        var quota = manifests.Single<V1ResourceQuota>("codeexec-sandboxes");
        var executions = manifests.Single<V1ResourceQuota>("codeexec-executions");
        Assert.Equal(["count/codeexecutions.codeexec.dev"], executions.Spec.Hard.Keys);
        Assert.Null(executions.Spec.ScopeSelector);
        Assert.Null(executions.Spec.Scopes);

        var scope = Assert.Single(quota.Spec.ScopeSelector.MatchExpressions);
        Assert.Equal(("PriorityClass", "In"), (scope.ScopeName, scope.OperatorProperty));
        Assert.Equal(["codeexec-sandbox"], scope.Values);
        Assert.Contains("pods", quota.Spec.Hard.Keys);
        Assert.Contains("limits.memory", quota.Spec.Hard.Keys);
    }

    [Fact]
    public void Optional_service_monitor_scrapes_the_metrics_service()
    {
        var service = Kustomize.BuildDefault().Single<V1Service>($"{Name}-metrics");

        var monitor = Assert.Single(Kustomize.Build("config/prometheus").All<ServiceMonitorManifest>());

        Assert.All(monitor.Spec.Selector.MatchLabels, pair => Assert.Equal(pair.Value, service.Metadata.Labels[pair.Key]));
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        Assert.Equal(("metrics", "/metrics"), (endpoint.Port, endpoint.Path));
    }

    [Fact]
    public void Operator_pods_accept_ingress_only_on_the_http_port()
    {
        var manifests = Kustomize.BuildDefault();
        var deployment = manifests.Single<V1Deployment>(Name);

        var policy = manifests.Single<V1NetworkPolicy>(Name);

        var podLabels = deployment.Spec.Template.Metadata.Labels;
        Assert.All(policy.Spec.PodSelector.MatchLabels, pair => Assert.Equal(pair.Value, podLabels[pair.Key]));
        Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
        var rule = Assert.Single(policy.Spec.Ingress);
        Assert.Null(rule.FromProperty);
        var port = Assert.Single(rule.Ports);
        Assert.Equal("http", port.Port.Value);
        Assert.Contains(OperatorDeploymentChecks.Manager(deployment).Ports, p => p.Name == "http");
    }
}
