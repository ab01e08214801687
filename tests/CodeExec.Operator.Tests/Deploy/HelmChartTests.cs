using System.Text.RegularExpressions;
using CodeExec.Api;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The Helm chart in charts/codeexec-operator: its CRDs equal crds/, its templates use only declared values, its
/// default runtimes equal the samples, and, where helm is installed, it lints and renders the same hardened operator
/// as config/. helm is the pinned v4.1.4 of hack/tools.sh (make test fetches it).
/// </summary>
public sealed partial class HelmChartTests(RealApiServerWithCrds fixture) : IClassFixture<RealApiServerWithCrds>
{
    private const string ChartDirectory = "charts/codeexec-operator";

    /// <summary>The value combinations the chart offers, each as helm --set arguments.</summary>
    public static TheoryData<string, string[]> ValueCombinations => new()
    {
        { "defaults", [] },
        { "one replica without leader election", ["--set", "replicas=1", "--set", "leaderElection.enabled=false"] },
        {
            "ServiceMonitor and PrometheusRule on",
            ["--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.labels.release=prometheus", "--set", "metrics.prometheusRule.enabled=true"]
        },
        { "runtimes off", ["--set", "defaultRuntimes.install=false"] },
        {
            "RuntimeClass and PriorityClass from the cluster",
            ["--set", "runtimeClass.create=false", "--set", "priorityClass.create=false", "--set", "sandbox.priorityClassName="]
        },
        {
            "no Service, NetworkPolicy or PodDisruptionBudget",
            ["--set", "metrics.service.enabled=false", "--set", "networkPolicy.enabled=false", "--set", "podDisruptionBudget.enabled=false"]
        },
        {
            "sandbox hardening and cluster ranges",
            ["--set", "sandbox.appArmorRuntimeDefault=true", "--set", "sandbox.userNamespaces=true",
                "--set", "sandbox.seccompLocalhostProfile=profiles/codeexec.json", "--set", "sandbox.clusterCIDRs={10.244.0.0/16,10.96.0.0/12}",
                "--set", "sandbox.clusterDomain=corp.internal", "--set", "runtimeClass.noNetwork.create=true"]
        },
        { "an existing ServiceAccount", ["--set", "serviceAccount.create=false", "--set", "serviceAccount.name=codeexec-ops"] },
        { "Falco rules on, user roles off", ["--set", "falco.rules.enabled=true", "--set", "userRoles.create=false"] },
        { "code source access policy off", ["--set", "codeSourceAccessPolicy.enabled=false"] },
        { "JSON logs and OTLP export", ["--set", "logFormat=json", "--set", "otlp.endpoint=http://otel-collector.monitoring:4317"] },
        {
            "names, image and collector overridden",
            ["--set", "fullnameOverride=cx", "--set", "image.repository=registry.example.com/codeexec-operator", "--set", "image.tag=0.1.0",
                "--set", "sandbox.collector.image=registry.example.com/codeexec-operator:0.1.0", "--set", "replicas=3"]
        },
    };

    [Fact]
    public void Chart_crds_are_exact_copies_of_the_generated_crds()
    {
        var generated = Kustomize.CrdFiles.Where(f => File.Exists(RepositoryFiles.PathOf("crds", f))).ToList();
        if (generated.Count == 0)
        {
            Assert.Skip("crds/*.yaml not generated yet (make crds): nothing to compare the chart's crds/ with");
        }

        var chartCrds = RepositoryFiles.PathOf("charts", "codeexec-operator", "crds");
        var copies = Directory.Exists(chartCrds)
            ? Directory.GetFiles(chartCrds).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
            : [];

        Assert.True(Kustomize.CrdFiles.Order(StringComparer.Ordinal).SequenceEqual(copies),
            $"{ChartDirectory}/crds holds [{string.Join(", ", copies)}], expected [{string.Join(", ", Kustomize.CrdFiles)}]: run make crds");
        foreach (var file in Kustomize.CrdFiles)
        {
            Assert.True(File.ReadAllText(RepositoryFiles.PathOf("crds", file)) == File.ReadAllText(Path.Combine(chartCrds, file)),
                $"{ChartDirectory}/crds/{file} differs from crds/{file}: run make crds");
        }
    }

    [Fact]
    public void Every_value_the_templates_read_is_declared_in_values_yaml()
    {
        var values = YamlTree.LoadFile("charts", "codeexec-operator", "values.yaml");
        var templates = Directory.GetFiles(RepositoryFiles.PathOf("charts", "codeexec-operator", "templates"));

        var used = templates
            .SelectMany(file => ValuesReference().Matches(File.ReadAllText(file))
                .Select(match => (Template: Path.GetFileName(file), Path: match.Groups["path"].Value)))
            .ToList();

        Assert.NotEmpty(used);
        var undeclared = used.Where(u => !YamlTree.TryGet(values, u.Path, out _)).Select(u => $"{u.Template}: .Values.{u.Path}").Distinct().ToList();
        Assert.True(undeclared.Count == 0, "templates read values that values.yaml does not declare:\n" + string.Join("\n", undeclared));
    }

    [Fact]
    public void Chart_metadata_names_the_chart_and_versions_it()
    {
        var chart = YamlTree.Mapping(YamlTree.LoadFile("charts", "codeexec-operator", "Chart.yaml"), "Chart.yaml");

        Assert.Equal("v2", chart["apiVersion"]);
        Assert.Equal("codeexec-operator", chart["name"]);
        Assert.Equal("application", chart["type"]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", chart["version"]?.ToString());
        Assert.False(string.IsNullOrEmpty(chart["appVersion"]?.ToString()));
    }

    [Fact]
    public void Default_runtimes_equal_the_sample_runtimes()
    {
        var samples = RepositoryFiles.PathOf("config", "samples", "runtimes");
        if (!Directory.Exists(samples) || Directory.GetFiles(samples, "*.yaml").Length == 0)
        {
            Assert.Skip("config/samples/runtimes/ not written yet: nothing to compare the chart's default runtimes with");
        }

        var values = YamlTree.LoadFile("charts", "codeexec-operator", "values.yaml");
        Assert.True(YamlTree.TryGet(values, "defaultRuntimes.runtimes", out var runtimesNode));
        var chartRuntimes = YamlTree.Mapping(runtimesNode, "defaultRuntimes.runtimes");
        Assert.True(YamlTree.TryGet(values, "defaultRuntimes.default", out var chartDefault));

        var sampleNames = new List<string>();
        foreach (var file in Directory.GetFiles(samples, "*.yaml").Order(StringComparer.Ordinal))
        {
            var sample = YamlTree.Mapping(YamlTree.Load(File.ReadAllText(file)), file);
            Assert.True(YamlTree.TryGet(sample, "metadata.name", out var nameNode));
            var name = nameNode!.ToString()!;
            sampleNames.Add(name);
            Assert.True(chartRuntimes.ContainsKey(name), $"sample runtime {name} is missing from defaultRuntimes.runtimes");
            Assert.Equal(YamlTree.Canonical(sample["spec"]), YamlTree.Canonical(chartRuntimes[name]));
            var isDefault = YamlTree.TryGet(sample, "metadata.annotations", out var annotations)
                && YamlTree.Mapping(annotations, "annotations").TryGetValue("codeexec.dev/is-default-runtime", out var flag)
                && flag?.ToString() == "true";
            Assert.Equal(isDefault, name == chartDefault?.ToString());
        }

        Assert.Equal(sampleNames.Order(StringComparer.Ordinal), chartRuntimes.Keys.Select(k => k.ToString()!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ValueCombinations))]
    public void Helm_lint_passes_with_each_value_combination(string combination, string[] settings)
    {
        var result = ExternalTool.Run(Helm(), ["lint", ChartDirectory, "--strict", "--namespace", "codeexec-system", .. settings]);

        Assert.True(result.Succeeded, $"helm lint ({combination}) failed:\n{result.Stdout}\n{result.Stderr}");
    }

    [Theory]
    [MemberData(nameof(ValueCombinations))]
    public void Every_rendered_object_is_valid_for_its_kind(string combination, string[] settings)
    {
        var rendered = Render(settings);

        var problems = RenderedObjectChecks.Problems(rendered, "codeexec-system");
        Assert.True(problems.Count == 0, $"helm template ({combination}):\n" + string.Join("\n", problems));
        var deployment = Assert.Single(rendered.All<V1Deployment>());
        var replicas = settings.Contains("replicas=1") ? 1 : settings.Contains("replicas=3") ? 3 : 2;
        Assert.Empty(OperatorDeploymentChecks.Problems(deployment, expectedReplicas: replicas));
    }

    [Theory]
    [MemberData(nameof(ValueCombinations))]
    public async Task Rendered_runtimes_are_accepted_by_the_real_api_server(string combination, string[] settings)
    {
        var runtimes = Render(settings).All<CodeRuntime>().ToList();
        var client = fixture.Server.Client;

        foreach (var runtime in runtimes)
        {
            try
            {
                await client.CustomObjects.CreateClusterCustomObjectAsync(runtime, ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural,
                    dryRun: "All", fieldValidation: "Strict", cancellationToken: TestContext.Current.CancellationToken);
            }
            catch (HttpOperationException e)
            {
                Assert.Fail($"{combination}: CodeRuntime {runtime.Metadata.Name} refused: {e.Response.Content}");
            }
        }
    }

    [Fact]
    public void Rendered_chart_is_the_same_hardened_least_privilege_operator_as_config()
    {
        var rendered = Render();
        var deployment = Assert.Single(rendered.All<V1Deployment>());
        var clusterRole = rendered.Single<V1ClusterRole>("codeexec-operator");
        var leaderRole = Assert.Single(rendered.All<V1Role>());
        var kustomized = Kustomize.Build("config/manager").Single<V1Deployment>("codeexec-operator");

        Assert.Empty(OperatorDeploymentChecks.Problems(deployment, expectedReplicas: 2));
        var permissions = OperatorPermissions.Derive();
        Assert.Empty(RoleRules.Differences(clusterRole.Rules, permissions.ClusterWide));
        Assert.Empty(RoleRules.Differences(leaderRole.Rules, permissions.LeaderElection));
        Assert.Equal(EnvNames(kustomized), EnvNames(deployment));
        Assert.Equal("runsc", rendered.Single<V1RuntimeClass>("gvisor").Handler);
        var kustomizedClass = Kustomize.Build("config/runtime").Single<V1RuntimeClass>("gvisor");
        Assert.Equal(kustomizedClass.Overhead.PodFixed.ToDictionary(p => p.Key, p => p.Value.ToString()),
            rendered.Single<V1RuntimeClass>("gvisor").Overhead.PodFixed.ToDictionary(p => p.Key, p => p.Value.ToString()));
        Assert.Equal("Never", rendered.Single<V1PriorityClass>("codeexec-sandbox").PreemptionPolicy);
        Assert.Single(rendered.All<V1Service>());
        Assert.Equal(["Ingress"], Assert.Single(rendered.All<V1NetworkPolicy>()).Spec.PolicyTypes);
    }

    [Fact]
    public void Rendered_chart_installs_the_default_runtimes_with_one_default_and_none_when_disabled()
    {
        var runtimes = Render().All<Api.CodeRuntime>().ToList();
        var without = Render("--set", "defaultRuntimes.install=false").All<Api.CodeRuntime>();

        Assert.Equal(["bash", "node", "python"], runtimes.Select(r => r.Metadata.Name).Order(StringComparer.Ordinal));
        var marked = runtimes.Where(r => r.Metadata.Annotations is { } a && a.TryGetValue(Api.ApiConstants.DefaultRuntimeAnnotation, out var v) && v == "true");
        Assert.Equal("python", Assert.Single(marked).Metadata.Name);
        Assert.All(runtimes, r => Assert.Equal("gvisor", r.Spec.RuntimeClassName));
        Assert.Empty(without);
    }

    [Theory]
    [InlineData("text", "simple")]
    [InlineData("json", "json")]
    public void LogFormat_picks_the_console_formatter_and_otlp_endpoint_sets_the_standard_variable(string logFormat, string formatter)
    {
        var plain = Assert.Single(Render("--set", "logFormat=" + logFormat).All<V1Deployment>());
        var exporting = Assert.Single(Render("--set", "otlp.endpoint=http://otel-collector.monitoring:4317").All<V1Deployment>());

        Assert.Equal(formatter, OperatorDeploymentChecks.Env(OperatorDeploymentChecks.Manager(plain), "Logging__Console__FormatterName"));
        Assert.Null(OperatorDeploymentChecks.Env(OperatorDeploymentChecks.Manager(plain), "OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal("http://otel-collector.monitoring:4317", OperatorDeploymentChecks.Env(OperatorDeploymentChecks.Manager(exporting), "OTEL_EXPORTER_OTLP_ENDPOINT"));
    }

    [Fact]
    public void Rendering_refuses_a_log_format_other_than_text_or_json()
    {
        var result = ExternalTool.Run(Helm(), "template", "codeexec-operator", ChartDirectory, "--set", "logFormat=xml");

        Assert.False(result.Succeeded, "helm template accepted logFormat=xml");
        // values.schema.json refuses it before the template's own check ("logFormat must be text or json") runs.
        Assert.Contains("/logFormat", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'text', 'json'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Rendered_sandbox_settings_bind_to_the_operator_options_off_by_default_and_on_when_set()
    {
        static SandboxOptions Bound(ManifestSet rendered)
        {
            var env = OperatorDeploymentChecks.Manager(Assert.Single(rendered.All<V1Deployment>())).Env ?? [];
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(env.Where(e => e.Name.StartsWith("Sandbox__", StringComparison.Ordinal))
                    .Select(e => KeyValuePair.Create(e.Name.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
                .Build();
            var options = new SandboxOptions();
            configuration.GetSection(SandboxOptions.SectionName).Bind(options, b => b.ErrorOnUnknownConfiguration = true);
            Assert.Empty(options.Validate());
            return options;
        }

        var defaults = Bound(Render());
        var hardened = Bound(Render(ValueCombinations.Single(c => (string)c.Data.Item1 == "sandbox hardening and cluster ranges").Data.Item2));

        Assert.False(defaults.AppArmorRuntimeDefault);
        Assert.False(defaults.UserNamespaces);
        Assert.Null(defaults.SeccompLocalhostProfile);
        Assert.Null(defaults.ClusterCIDRs);
        Assert.Equal("cluster.local", defaults.ClusterDomain);
        Assert.True(hardened.AppArmorRuntimeDefault);
        Assert.True(hardened.UserNamespaces);
        Assert.Equal("profiles/codeexec.json", hardened.SeccompLocalhostProfile);
        Assert.Equal(["10.244.0.0/16", "10.96.0.0/12"], hardened.ClusterCIDRs);
        Assert.Equal("corp.internal", hardened.ClusterDomain);
    }

    [Fact]
    public void The_network_less_runtime_class_is_rendered_only_when_asked_for()
    {
        Assert.DoesNotContain(Render().All<V1RuntimeClass>(), r => r.Metadata.Name == "gvisor-nonet");

        var rendered = Render("--set", "runtimeClass.noNetwork.create=true");

        Assert.Equal("runsc-nonet", rendered.Single<V1RuntimeClass>("gvisor-nonet").Handler);
        Assert.Equal("runsc", rendered.Single<V1RuntimeClass>("gvisor").Handler);
    }

    [Fact]
    public void Code_source_access_policy_is_rendered_by_default_equal_to_config_and_not_when_disabled()
    {
        var rendered = Render();
        var policy = Assert.Single(rendered.All<V1ValidatingAdmissionPolicy>());
        var binding = Assert.Single(rendered.All<V1ValidatingAdmissionPolicyBinding>());
        var kustomized = Kustomize.Build("config/admission-policy");
        var without = Render("--set", "codeSourceAccessPolicy.enabled=false");

        Assert.Equal("codeexec-operator-code-source-access", policy.Metadata.Name);
        Assert.Empty(CodeSourceAccessPolicy.Problems(policy, binding));
        Assert.Equal(KubernetesJson.Serialize(Assert.Single(kustomized.All<V1ValidatingAdmissionPolicy>()).Spec), KubernetesJson.Serialize(policy.Spec));
        var kustomizedBinding = Assert.Single(kustomized.All<V1ValidatingAdmissionPolicyBinding>());
        Assert.Equal(kustomizedBinding.Spec.ValidationActions, binding.Spec.ValidationActions);
        Assert.Equal(kustomizedBinding.Spec.MatchResources is null, binding.Spec.MatchResources is null);
        Assert.Empty(without.All<V1ValidatingAdmissionPolicy>());
        Assert.Empty(without.All<V1ValidatingAdmissionPolicyBinding>());
    }

    [Fact]
    public void Rendering_refuses_several_replicas_without_leader_election()
    {
        var result = ExternalTool.Run(Helm(), "template", "codeexec-operator", ChartDirectory,
            "--set", "replicas=3", "--set", "leaderElection.enabled=false");

        Assert.False(result.Succeeded, "helm template accepted 3 replicas without leader election");
        Assert.Contains("needs leaderElection.enabled", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void User_roles_aggregate_into_edit_admin_and_view_and_grant_only_codeexec_resources()
    {
        var rendered = Render();
        var edit = rendered.Single<V1ClusterRole>("codeexec-operator-edit");
        var view = rendered.Single<V1ClusterRole>("codeexec-operator-view");

        Assert.Equal("true", edit.Metadata.Labels["rbac.authorization.k8s.io/aggregate-to-edit"]);
        Assert.Equal("true", edit.Metadata.Labels["rbac.authorization.k8s.io/aggregate-to-admin"]);
        Assert.Equal("true", view.Metadata.Labels["rbac.authorization.k8s.io/aggregate-to-view"]);
        Assert.All(edit.Rules.Concat(view.Rules), rule => Assert.Equal(["codeexec.dev"], rule.ApiGroups));
        Assert.All(view.Rules, rule => Assert.Equal(["get", "list", "watch"], rule.Verbs));
        // Nobody is given the status subresource (the operator's word) or runtimes to write (the administrator's).
        Assert.DoesNotContain(edit.Rules.Concat(view.Rules), rule => rule.Resources.Any(r => r.Contains('/', StringComparison.Ordinal)));
        Assert.DoesNotContain(edit.Rules, rule => rule.Resources.Contains("coderuntimes") && rule.Verbs.Except(["get", "list", "watch"]).Any());
        Assert.Equal(["codeexec-operator"], Render("--set", "userRoles.create=false").All<V1ClusterRole>().Select(r => r.Metadata.Name));
        var unaggregated = Render("--set", "userRoles.aggregate=false").All<V1ClusterRole>().ToList();
        Assert.Equal(["codeexec-operator", "codeexec-operator-edit", "codeexec-operator-view"], unaggregated.Select(r => r.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(unaggregated, r => r.Metadata.Labels.Keys.Any(k => k.StartsWith("rbac.authorization.k8s.io/aggregate-to-", StringComparison.Ordinal)));
        Assert.Equal(
            Kustomize.BuildDefault().All<V1ClusterRole>().Select(r => (r.Metadata.Name, YamlOf(r.Rules))).Order(),
            rendered.All<V1ClusterRole>().Select(r => (r.Metadata.Name, YamlOf(r.Rules))).Order());
    }

    [Fact]
    public void Falco_rules_ship_only_when_enabled_and_name_the_sandbox_label()
    {
        Assert.Empty(Render().All<V1ConfigMap>());
        var configMap = Render("--set", "falco.rules.enabled=true").Single<V1ConfigMap>("codeexec-operator-falco-rules");

        var rules = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<List<Dictionary<string, object>>>(configMap.Data["codeexec-rules.yaml"]);
        Assert.Equal(["Shell spawned in a codeexec sandbox", "Sensitive file read in a codeexec sandbox"],
            rules.Where(r => r.ContainsKey("rule")).Select(r => (string)r["rule"]));
        Assert.All(rules.Where(r => r.ContainsKey("rule")), r => Assert.Contains("codeexec_sandbox", (string)r["condition"], StringComparison.Ordinal));
        Assert.Contains("k8s.pod.label.codeexec.dev/role = \"sandbox\"", configMap.Data["codeexec-rules.yaml"], StringComparison.Ordinal);
    }

    [Fact]
    public void Operator_replicas_spread_over_zones_unless_told_otherwise()
    {
        var spread = Assert.Single(Assert.Single(Render().All<V1Deployment>()).Spec.Template.Spec.TopologySpreadConstraints);
        var custom = Assert.Single(Render("--set", "topologySpreadConstraints[0].maxSkew=2", "--set", "topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname",
            "--set", "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule").All<V1Deployment>()).Spec.Template.Spec.TopologySpreadConstraints;

        Assert.Equal(("topology.kubernetes.io/zone", "ScheduleAnyway", 1), (spread.TopologyKey, spread.WhenUnsatisfiable, spread.MaxSkew));
        Assert.Equal("codeexec-operator", spread.LabelSelector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Equal(("kubernetes.io/hostname", 2), (Assert.Single(custom).TopologyKey, custom[0].MaxSkew));
    }

    [Fact]
    public void Alerts_are_rendered_when_asked_for_equal_to_config_and_name_only_metrics_the_operator_exports()
    {
        Assert.Empty(Render().All<PrometheusRuleManifest>());
        var rule = Assert.Single(Render("--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.prometheusRule.labels.release=prometheus")
            .All<PrometheusRuleManifest>());
        var kustomized = Assert.Single(Kustomize.Build("config/prometheus").All<PrometheusRuleManifest>());

        Assert.Equal("prometheus", rule.Metadata.Labels["release"]);
        Assert.Equal(Canonical(kustomized.Spec), Canonical(rule.Spec));
        // Every metric an alert reads is one the README's metrics table lists (the names OperatorTelemetryTests scrapes).
        var readme = File.ReadAllText(RepositoryFiles.PathOf("README.md"));
        var alerts = rule.Spec.Groups.SelectMany(g => g.Rules).ToList();
        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            Assert.False(string.IsNullOrEmpty(alert.For), alert.Alert + " has no for");
            Assert.Contains(alert.Labels["severity"], new[] { "warning", "critical" });
            foreach (var metric in MetricName().Matches(alert.Expr).Select(m => m.Value).Distinct())
            {
                Assert.True(readme.Contains("| `" + metric + "`", StringComparison.Ordinal), $"{alert.Alert} reads {metric}, which the README's metrics table does not list");
            }
        }
    }

    private static List<string> Canonical(PrometheusRuleSpec spec) =>
    [
        .. spec.Groups.SelectMany(g => g.Rules.Select(r => string.Join(" | ", g.Name, r.Alert, r.Expr.Trim(), r.For,
            string.Join(",", r.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)),
            string.Join(",", r.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal))))),
    ];

    [GeneratedRegex(@"codeexec_[a-z_]+")]
    private static partial Regex MetricName();

    private static string YamlOf(object value) => k8s.KubernetesYaml.Serialize(value);

    private static string Helm() => ExternalTool.Require("helm", "the chart cannot be linted or rendered here");

    private static ManifestSet Render(params string[] settings)
    {
        var result = ExternalTool.Run(Helm(), ["template", "codeexec-operator", ChartDirectory, "--namespace", "codeexec-system", .. settings]);
        Assert.True(result.Succeeded, $"helm template failed:\n{result.Stderr}");
        return ManifestSet.Parse(result.Stdout);
    }

    private static List<string> EnvNames(V1Deployment deployment) =>
        [.. (OperatorDeploymentChecks.Manager(deployment).Env ?? []).Select(e => e.Name).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"\.Values\.(?<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")]
    private static partial Regex ValuesReference();
}
