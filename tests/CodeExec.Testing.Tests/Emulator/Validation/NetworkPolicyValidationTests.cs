using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>pkg/apis/networking/validation's NetworkPolicy rules, as kube-apiserver answers them.</summary>
public sealed class NetworkPolicyValidationTests : ValidationTest
{
    private const string Kind = "NetworkPolicy.networking.k8s.io";

    private static string Policy(string spec) => "{\"metadata\":{\"name\":\"np\"},\"spec\":{" + spec + "}}";

    private static string Egress(string rule) => Policy($$"""
        "podSelector":{},"policyTypes":["Egress"],"egress":[{{{rule}}}]
        """);

    [Fact]
    public async Task ValidateNetworkPolicyPort_allows_TCP_UDP_and_SCTP()
    {
        AssertOnlyError(await CreateAsync(NetworkPolicies, Egress("""
            "ports":[{"protocol":"ICMP","port":53}]
            """)), Kind, "np", "spec.egress[0].ports[0].protocol", "Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"", "FieldValueNotSupported");
        await CreateValidAsync(NetworkPolicies, Egress("""
            "ports":[{"protocol":"UDP","port":53},{"protocol":"SCTP","port":"dns"}]
            """));
    }

    [Fact]
    public async Task ValidateNetworkPolicyPort_checks_port_numbers_and_names()
    {
        var answer = await CreateAsync(NetworkPolicies, Egress("""
            "ports":[{"port":70000},{"port":"Bad--Name"}]
            """));

        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[1].port", "Invalid value: \"Bad--Name\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[1].port", "Invalid value: \"Bad--Name\": must not contain consecutive hyphens");
        await CreateValidAsync(NetworkPolicies, Egress("""
            "ports":[{"port":65535},{"port":"https"}]
            """));
    }

    [Fact]
    public async Task ValidateNetworkPolicyPort_endPort_follows_a_numeric_port()
    {
        var answer = await CreateAsync(NetworkPolicies, Egress("""
            "ports":[{"port":443,"endPort":80},{"port":"https","endPort":500},{"endPort":500}]
            """));

        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[0].endPort", "Invalid value: 80: must be greater than or equal to `port`");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[1].endPort", "Invalid value: 500: may not be specified when `port` is non-numeric");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].ports[2].endPort", "Invalid value: 500: may not be specified when `port` is not specified");
        await CreateValidAsync(NetworkPolicies, Egress("""
            "ports":[{"port":80,"endPort":443}]
            """));
    }

    [Fact]
    public async Task ValidateNetworkPolicyPeer_requires_a_peer_and_ipBlock_alone()
    {
        var answer = await CreateAsync(NetworkPolicies, Egress("""
            "to":[{},{"ipBlock":{"cidr":"10.0.0.0/8"},"podSelector":{}}]
            """));

        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[0]", "Required value: must specify a peer", "FieldValueRequired");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[1]", "Forbidden: may not specify both ipBlock and another peer", "FieldValueForbidden");
        await CreateValidAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":"10.0.0.0/8"}},{"podSelector":{},"namespaceSelector":{"matchLabels":{"team":"a"}}}]
            """));
    }

    [Fact]
    public async Task ValidateIPBlock_requires_a_CIDR()
    {
        var answer = await CreateAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":""}},{"ipBlock":{"cidr":"10.0.0.1"}},{"ipBlock":{"cidr":"300.0.0.0/8"}},{"ipBlock":{"cidr":"::/129"}}]
            """));

        const string message = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[0].ipBlock.cidr", "Required value", "FieldValueRequired");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[1].ipBlock.cidr", "Invalid value: \"10.0.0.1\": " + message);
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[2].ipBlock.cidr", "Invalid value: \"300.0.0.0/8\": " + message);
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[3].ipBlock.cidr", "Invalid value: \"::/129\": " + message);
        await CreateValidAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":"10.0.0.1/32"}},{"ipBlock":{"cidr":"2001:db8::/64"}},{"ipBlock":{"cidr":"0.0.0.0/0"}}]
            """));
    }

    [Fact]
    public async Task ValidateIPBlock_requires_except_to_be_a_strict_subset()
    {
        var answer = await CreateAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.0.0.0/8","192.168.0.0/16","bad"]}}]
            """));

        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[0].ipBlock.except[0]", "Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[0].ipBlock.except[1]", "Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`");
        AssertInvalid(answer, Kind, "np", "spec.egress[0].to[0].ipBlock.except[2]", "Invalid value: \"bad\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        await CreateValidAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.169.254/32","10.0.0.0/8"]}}]
            """));
    }

    [Fact]
    public async Task ValidateLabelSelector_checks_operators_values_and_keys()
    {
        var answer = await CreateAsync(NetworkPolicies, Policy("""
            "podSelector":{"matchExpressions":[{"key":"a","operator":"Is"},{"key":"b","operator":"In"},{"key":"c","operator":"Exists","values":["x"]},{"key":"-d","operator":"NotIn","values":["a b"]}]}
            """));

        AssertInvalid(answer, Kind, "np", "spec.podSelector.matchExpressions[0].operator", "Invalid value: \"Is\": not a valid selector operator");
        AssertInvalid(answer, Kind, "np", "spec.podSelector.matchExpressions[1].values", "Required value: must be specified when `operator` is 'In' or 'NotIn'", "FieldValueRequired");
        AssertInvalid(answer, Kind, "np", "spec.podSelector.matchExpressions[2].values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'", "FieldValueForbidden");
        AssertInvalid(answer, Kind, "np", "spec.podSelector.matchExpressions[3].key", "Invalid value: \"-d\": " + NamePartMessage);
        Assert.Contains(answer.Body["details"]!["causes"]!.AsArray(), c => c!["field"]!.GetValue<string>() == "spec.podSelector.matchExpressions[3].values[0]");
        await CreateValidAsync(NetworkPolicies, Policy("""
            "podSelector":{"matchLabels":{"app":"x"},"matchExpressions":[{"key":"b","operator":"In","values":["1"]},{"key":"c","operator":"DoesNotExist"}]}
            """));
    }

    [Fact]
    public async Task ValidateNetworkPolicySpec_allows_Ingress_and_Egress_policy_types()
    {
        AssertOnlyError(await CreateAsync(NetworkPolicies, Policy("""
            "podSelector":{},"policyTypes":["Ingress","Sideways"]
            """)), Kind, "np", "spec.policyTypes[1]", "Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"", "FieldValueNotSupported");
        AssertOnlyError(await CreateAsync(NetworkPolicies, Policy("""
            "podSelector":{},"policyTypes":["Ingress","Egress","Ingress"]
            """)), Kind, "np", "spec.policyTypes",
            "Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", \"Ingress\"}: may not specify more than two policyTypes");
        await CreateValidAsync(NetworkPolicies, Policy("""
            "podSelector":{},"policyTypes":["Ingress","Egress"]
            """));
    }

    [Fact]
    public async Task ValidateNetworkPolicyUpdate_validates_the_new_spec()
    {
        await CreateValidAsync(NetworkPolicies, Egress("""
            "to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]
            """));

        var answer = await ReplaceAsync(NetworkPolicies, "np", o => o["spec"]!["egress"]![0]!["to"]![0]!["ipBlock"]!["cidr"] = "10.0.0.0");

        AssertOnlyError(answer, Kind, "np", "spec.egress[0].to[0].ipBlock.cidr", "Invalid value: \"10.0.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        AssertOk(await ReplaceAsync(NetworkPolicies, "np", o => o["spec"]!["egress"]![0]!["to"]![0]!["ipBlock"]!["cidr"] = "10.1.0.0/16"));
    }
}
