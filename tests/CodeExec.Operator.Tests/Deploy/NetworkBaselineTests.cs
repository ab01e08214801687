using System.Net;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Security review finding 9: the optional cluster-scoped sandbox guards under config/network (one directory per
/// policy API) and the network-less RuntimeClass build with kustomize, parse, select the label the operator puts on
/// sandbox Pods, and deny what a sandbox must never reach (checked against the operator's own address classes).
/// </summary>
public sealed class NetworkBaselineTests
{
    /// <summary>Addresses every guard must deny: metadata endpoints, the usual Service and Pod ranges, loopback.</summary>
    private static readonly string[] MustBeDenied =
        ["169.254.169.254", "100.100.100.200", "168.63.129.16", "10.96.0.1", "10.244.1.5", "172.20.0.10", "192.168.1.1", "127.0.0.1", "fd00:ec2::254", "fd20:ce::254", "fe80::1"];

    public static TheoryData<string, string, string> Guards() => new()
    {
        { "config/network/admin-network-policy", "policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy" },
        { "config/network/admin-network-policy", "policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy" },
        { "config/network/cilium", "cilium.io/v2", "CiliumClusterwideNetworkPolicy" },
        { "config/network/calico", "projectcalico.org/v3", "GlobalNetworkPolicy" },
    };

    [Theory]
    [MemberData(nameof(Guards))]
    public void Each_guard_builds_parses_and_selects_sandbox_pods(string directory, string apiVersion, string kind)
    {
        var guard = Assert.Single(Documents(directory), d => Str(d, "kind") == kind);

        Assert.Equal(apiVersion, Str(guard, "apiVersion"));
        Assert.Null(Get(guard, "metadata.namespace"));
        var selector = kind switch
        {
            "CiliumClusterwideNetworkPolicy" => Str(guard, $"spec.endpointSelector.matchLabels.{SandboxNames.RoleLabel}"),
            "GlobalNetworkPolicy" => Str(guard, "spec.selector"),
            _ => Str(guard, $"spec.subject.pods.podSelector.matchLabels.{SandboxNames.RoleLabel}"),
        };
        Assert.Equal(kind == "GlobalNetworkPolicy" ? $"{SandboxNames.RoleLabel} == '{SandboxNames.RoleSandbox}'" : SandboxNames.RoleSandbox, selector);
    }

    [Fact]
    public void The_admin_network_policy_outranks_network_policies_and_only_denies()
    {
        var guard = Assert.Single(Documents("config/network/admin-network-policy"), d => Str(d, "kind") == "AdminNetworkPolicy");

        var priority = int.Parse(Str(guard, "spec.priority")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(priority, 0, 1000);
        var rules = List(guard, "spec.egress").Concat(List(guard, "spec.ingress")).ToList();
        Assert.All(rules, rule => Assert.Equal("Deny", Str(rule, "action")));
        Assert.Equal(rules.Count, rules.Select(r => Str(r, "name")).Distinct().Count());
        Assert.Contains(List(guard, "spec.egress"), rule => List(rule, "to").Any(peer => Get(peer, "namespaces") is not null));
        AssertDeniesEveryInternalAddress(List(guard, "spec.egress").SelectMany(rule => List(rule, "to")).SelectMany(peer => Strings(peer, "networks")));
    }

    [Fact]
    public void The_baseline_is_the_singleton_default_and_denies_all_egress()
    {
        var baseline = Assert.Single(Documents("config/network/admin-network-policy"), d => Str(d, "kind") == "BaselineAdminNetworkPolicy");

        Assert.Equal("default", Str(baseline, "metadata.name"));
        var egress = Assert.Single(List(baseline, "spec.egress"));
        Assert.Equal("Deny", Str(egress, "action"));
        var networks = List(egress, "to").SelectMany(peer => Strings(peer, "networks")).ToList();
        Assert.Equal(["0.0.0.0/0", "::/0"], networks);
    }

    [Fact]
    public void The_cilium_guard_denies_the_cluster_entities_and_every_internal_address()
    {
        var guard = Assert.Single(Documents("config/network/cilium"));

        var entities = List(guard, "spec.egressDeny").SelectMany(rule => Strings(rule, "toEntities")).ToList();
        Assert.Superset(new HashSet<string> { "cluster", "host", "remote-node", "kube-apiserver" }, entities.ToHashSet());
        Assert.Equal(["all"], List(guard, "spec.ingressDeny").SelectMany(rule => Strings(rule, "fromEntities")));
        Assert.Null(Get(guard, "spec.egress"));
        AssertDeniesEveryInternalAddress(List(guard, "spec.egressDeny").SelectMany(rule => List(rule, "toCIDRSet")).Select(set => Str(set, "cidr")!));
    }

    [Fact]
    public void The_calico_guard_runs_before_network_policies_and_denies_every_internal_address()
    {
        var guard = Assert.Single(Documents("config/network/calico"));

        Assert.True(double.Parse(Str(guard, "spec.order")!, System.Globalization.CultureInfo.InvariantCulture) < 1000, "Kubernetes NetworkPolicies have order 1000");
        var rules = List(guard, "spec.egress").Concat(List(guard, "spec.ingress")).ToList();
        Assert.All(rules, rule => Assert.Equal("Deny", Str(rule, "action")));
        Assert.Equal(["Ingress", "Egress"], Strings(guard, "spec.types"));
        AssertDeniesEveryInternalAddress(List(guard, "spec.egress").SelectMany(rule => Strings(rule, "destination.nets")));
    }

    [Fact]
    public void The_network_less_runtime_class_names_the_runsc_nonet_handler()
    {
        var runtimeClass = Kustomize.Build("config/runtime/gvisor-nonet").Single<V1RuntimeClass>("gvisor-nonet");

        Assert.Equal("runsc-nonet", runtimeClass.Handler);
    }

    private static void AssertDeniesEveryInternalAddress(IEnumerable<string> cidrs)
    {
        var (networks, invalid) = EgressAddresses.ParseCidrs(cidrs.ToList());
        Assert.Empty(invalid);
        var uncovered = MustBeDenied.Where(a => !networks.Any(n => n.Contains(IPAddress.Parse(a)))).ToList();
        Assert.True(uncovered.Count == 0, "not denied: " + string.Join(", ", uncovered));
        Assert.DoesNotContain(networks, n => n.Contains(IPAddress.Parse("151.101.0.223")));
    }

    private static List<object?> Documents(string directory)
    {
        var kubectl = ExternalTool.Require("kubectl", "the kustomize configuration under config/ cannot be built here");
        var result = ExternalTool.Run(kubectl, "kustomize", directory);
        Assert.True(result.Succeeded, $"kubectl kustomize {directory} failed:\n{result.Stderr}");
        var documents = result.Stdout.Split("\n---\n").Select(YamlTree.Load).Where(d => d is not null).ToList();
        Assert.NotEmpty(documents);
        return documents;
    }

    private static object? Get(object? node, string path) => YamlTree.TryGet(node, path, out var value) ? value : null;

    private static string? Str(object? node, string path)
    {
        // Label keys contain dots: try the longest key first.
        var parts = path.Split('.');
        for (var split = parts.Length - 1; split > 0; split--)
        {
            if (YamlTree.TryGet(node, string.Join('.', parts[..split]), out var parent) && parent is IDictionary<object, object?> mapping
                && mapping.TryGetValue(string.Join('.', parts[split..]), out var value))
            {
                return value?.ToString();
            }
        }

        return Get(node, path)?.ToString();
    }

    private static IEnumerable<object?> List(object? node, string path) => Get(node, path) as IList<object?> ?? [];

    private static List<string> Strings(object? node, string path) => [.. List(node, path).Select(v => v?.ToString() ?? "")];
}
