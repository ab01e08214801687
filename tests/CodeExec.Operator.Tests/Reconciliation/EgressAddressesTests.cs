using System.Net;
using CodeExec.Operator.Reconciliation;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Security review finding 10(b): every special-purpose range is refused with its class, IPv4 addresses carried in IPv6
/// are unpacked and checked, public unicast is accepted, and a runtime's allowedCIDRs re-allow only what may be re-allowed.
/// </summary>
public sealed class EgressAddressesTests
{
    public static TheoryData<string, string, bool> RefusedAddresses() => new()
    {
        // address, class (start of), never allowed
        { "0.0.0.0", "\"this network\"", true },
        { "0.1.2.3", "\"this network\"", true },
        { "10.0.0.1", "private (RFC 1918)", false },
        { "10.255.255.255", "private (RFC 1918)", false },
        { "100.64.0.1", "shared address space, carrier-grade NAT", false },
        { "100.127.255.254", "shared address space, carrier-grade NAT", false },
        { "100.100.100.200", "cloud metadata (Alibaba Cloud)", true },
        { "127.0.0.1", "loopback", true },
        { "127.255.0.1", "loopback", true },
        { "168.63.129.16", "cloud metadata (Azure WireServer)", true },
        { "169.254.0.1", "link-local", true },
        { "169.254.169.254", "cloud metadata (AWS, GCE, Azure, OpenStack)", true },
        { "172.16.0.1", "private (RFC 1918)", false },
        { "172.31.255.255", "private (RFC 1918)", false },
        { "192.0.0.170", "IETF protocol assignments", false },
        { "192.0.2.1", "documentation (RFC 5737)", false },
        { "192.88.99.1", "6to4 relay anycast", false },
        { "192.168.0.1", "private (RFC 1918)", false },
        { "198.18.0.1", "benchmarking", false },
        { "198.19.255.255", "benchmarking", false },
        { "198.51.100.7", "documentation (RFC 5737)", false },
        { "203.0.113.9", "documentation (RFC 5737)", false },
        { "224.0.0.1", "multicast", true },
        { "239.255.255.250", "multicast", true },
        { "240.0.0.1", "reserved", false },
        { "255.255.255.254", "reserved", false },
        { "255.255.255.255", "broadcast", true },
        { "::", "unspecified", true },
        { "::1", "loopback", true },
        { "fe80::1", "link-local", true },
        { "febf::1", "link-local", true },
        { "fec0::1", "site-local", false },
        { "fc00::1", "unique local", false },
        { "fd12:3456:789a::1", "unique local", false },
        { "fd00:ec2::254", "cloud metadata (AWS IMDS IPv6)", true },
        { "fd20:ce::254", "cloud metadata (GCE IPv6)", true },
        { "ff02::1", "multicast", true },
        { "ff05::1:3", "multicast", true },
        { "2001:db8::1", "documentation (RFC 3849)", false },
        { "3fff::1", "documentation (RFC 9637)", false },
        { "2001:2::1", "benchmarking", false },
        { "100::1", "discard-only", false },
        { "4000::1", "reserved (outside IPv6 global unicast 2000::/3)", false },
        { "1::1", "reserved (outside IPv6 global unicast 2000::/3)", false },
    };

    [Theory]
    [MemberData(nameof(RefusedAddresses))]
    public void Special_purpose_addresses_are_refused_with_their_class(string address, string expectedClass, bool neverAllowed)
    {
        var classified = EgressAddresses.Classify(IPAddress.Parse(address));

        Assert.False(classified.IsPublic, address);
        Assert.StartsWith(expectedClass, classified.Class, StringComparison.Ordinal);
        Assert.Equal(neverAllowed, classified.NeverAllowed);
        Assert.Null(classified.Embedding);
    }

    public static TheoryData<string, string, string, string> EmbeddedAddresses() => new()
    {
        // address, embedding, embedded IPv4, class
        { "::ffff:10.0.0.1", "IPv4-mapped ::ffff:0:0/96", "10.0.0.1", "private (RFC 1918)" },
        { "::ffff:169.254.169.254", "IPv4-mapped ::ffff:0:0/96", "169.254.169.254", "cloud metadata" },
        { "::ffff:0:127.0.0.1", "IPv4-translated ::ffff:0:0:0/96", "127.0.0.1", "loopback" },
        { "::ffff:0:192.168.1.1", "IPv4-translated ::ffff:0:0:0/96", "192.168.1.1", "private (RFC 1918)" },
        { "::10.1.2.3", "IPv4-compatible ::/96", "10.1.2.3", "private (RFC 1918)" },
        { "::169.254.169.254", "IPv4-compatible ::/96", "169.254.169.254", "cloud metadata" },
        { "64:ff9b::10.96.0.1", "NAT64 64:ff9b::/96", "10.96.0.1", "private (RFC 1918)" },
        { "64:ff9b::169.254.169.254", "NAT64 64:ff9b::/96", "169.254.169.254", "cloud metadata" },
        { "64:ff9b:1::100.100.100.200", "local-use NAT64 64:ff9b:1::/48", "100.100.100.200", "cloud metadata (Alibaba Cloud)" },
        { "64:ff9b:1:ab::172.16.0.1", "local-use NAT64 64:ff9b:1::/48", "172.16.0.1", "private (RFC 1918)" },
        { "2002:a00:1::1", "6to4 2002::/16", "10.0.0.1", "private (RFC 1918)" },
        { "2002:a9fe:a9fe::1", "6to4 2002::/16", "169.254.169.254", "cloud metadata" },
        { "2001:0:a00:1::1", "Teredo 2001::/32 (server)", "10.0.0.1", "private (RFC 1918)" },
        // Teredo client 127.0.0.1 is stored inverted: ~127.0.0.1 = 128.255.255.254 = 80ff:fffe.
        { "2001:0:9765:0:0:0:80ff:fffe", "Teredo 2001::/32 (client)", "127.0.0.1", "loopback" },
    };

    [Theory]
    [MemberData(nameof(EmbeddedAddresses))]
    public void IPv4_carried_in_IPv6_is_unpacked_and_checked(string address, string embedding, string embedded, string expectedClass)
    {
        var classified = EgressAddresses.Classify(IPAddress.Parse(address));

        Assert.False(classified.IsPublic, address);
        Assert.Equal(embedding, classified.Embedding);
        Assert.Equal(IPAddress.Parse(embedded), classified.EmbeddedIPv4);
        Assert.StartsWith(expectedClass, classified.Class, StringComparison.Ordinal);
        Assert.Equal($"{classified.Class}, IPv4 {embedded} embedded as {embedding}", classified.Describe());
    }

    [Theory]
    [InlineData("151.101.0.223")]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("100.63.255.255")] // just below 100.64/10
    [InlineData("100.128.0.1")] // just above 100.64/10
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.1")]
    [InlineData("168.63.129.17")]
    [InlineData("223.255.255.254")]
    [InlineData("2a04:4e42::223")] // pypi.org on Fastly
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:151.101.0.223")]
    [InlineData("64:ff9b::151.101.0.223")]
    [InlineData("2002:9765:df::1")]
    public void Public_unicast_addresses_are_accepted(string address)
    {
        var classified = EgressAddresses.Classify(IPAddress.Parse(address));

        Assert.True(classified.IsPublic, $"{address}: {classified.Describe()}");
        Assert.Equal(EgressAddresses.PublicUnicast, classified.Class);
        Assert.False(classified.NeverAllowed);
    }

    [Theory]
    [InlineData("10.96.0.1", "10.96.0.0/12")]
    [InlineData("::ffff:10.96.0.1", "10.96.0.0/12")]
    [InlineData("151.101.0.223", "151.101.0.0/16")]
    [InlineData("fd00:10:96::1", "fd00:10:96::/112")]
    public void Configured_cluster_networks_are_refused(string address, string cidr)
    {
        var (networks, invalid) = EgressAddresses.ParseCidrs([cidr]);
        Assert.Empty(invalid);

        var classified = EgressAddresses.Classify(IPAddress.Parse(address), networks);

        Assert.False(classified.IsPublic);
        Assert.Equal($"cluster network {cidr} (Sandbox:ClusterCIDRs)", classified.Class);
    }

    [Fact]
    public void A_never_allowed_class_wins_over_a_cluster_network()
    {
        var classified = EgressAddresses.Classify(IPAddress.Parse("169.254.169.254"), EgressAddresses.ParseCidrs(["169.254.0.0/16"]).Networks);

        Assert.True(classified.NeverAllowed);
        Assert.StartsWith("cloud metadata", classified.Class, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.0/8", true)]
    [InlineData("10.0.0.1", "10.1.0.0/16", false)]
    [InlineData("::ffff:10.0.0.1", "10.0.0.0/8", true)]
    [InlineData("64:ff9b::10.0.0.1", "10.0.0.0/8", true)]
    [InlineData("fd12::1", "fd12::/16", true)]
    [InlineData("169.254.169.254", "169.254.0.0/16", false)]
    [InlineData("127.0.0.1", "0.0.0.0/0", false)]
    [InlineData("fd00:ec2::254", "fd00::/8", false)]
    [InlineData("100.100.100.200", "100.64.0.0/10", false)]
    [InlineData("100.100.100.199", "100.64.0.0/10", true)]
    public void Allowed_cidrs_re_allow_only_what_may_be_re_allowed(string address, string cidr, bool reallowed)
    {
        var classified = EgressAddresses.Classify(IPAddress.Parse(address));

        Assert.Equal(reallowed, EgressAddresses.IsReallowed(classified, EgressAddresses.ParseCidrs([cidr]).Networks));
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("10.0.0.1/8", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("pypi.org/32", false)]
    public void Cidrs_parse_strictly(string cidr, bool valid)
    {
        var (networks, invalid) = EgressAddresses.ParseCidrs([cidr]);

        Assert.Equal(valid ? 1 : 0, networks.Count);
        Assert.Equal(valid ? 0 : 1, invalid.Count);
    }
}
