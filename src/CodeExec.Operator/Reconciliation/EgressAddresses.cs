using System.Net;
using System.Net.Sockets;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// What an address an allowed egress host resolved to is: public unicast, or one of the classes a sandbox must not
/// reach by default. <see cref="Embedding"/> and <see cref="EmbeddedIPv4"/> are set when an IPv6 address carries an
/// IPv4 address (IPv4-mapped, NAT64, 6to4, ...); the class is then the embedded address's.
/// </summary>
/// <param name="Address">The address classified, as resolved.</param>
/// <param name="Class">A human-readable class name with its source (RFC or provider), such as "private (RFC 1918)".</param>
/// <param name="IsPublic">True for public unicast: a sandbox may reach it.</param>
/// <param name="NeverAllowed">
/// True for classes no runtime's <c>egress.allowedCIDRs</c> can re-allow: loopback, link-local, unspecified, "this
/// network", multicast, broadcast and known cloud metadata addresses.
/// </param>
/// <param name="EmbeddedIPv4">The IPv4 address carried in an IPv6 address, or null.</param>
/// <param name="Embedding">How it is carried (for example "NAT64 64:ff9b::/96"), or null.</param>
internal sealed record EgressAddressClass(IPAddress Address, string Class, bool IsPublic, bool NeverAllowed, IPAddress? EmbeddedIPv4 = null, string? Embedding = null)
{
    /// <summary>The class, with the embedded IPv4 address and its embedding when there is one.</summary>
    public string Describe() => Embedding is null ? Class : $"{Class}, IPv4 {EmbeddedIPv4} embedded as {Embedding}";
}

/// <summary>
/// Classifies the addresses egress hosts resolve to (pure). Sources: the IANA IPv4 and IPv6 Special-Purpose Address
/// Registries (RFC 6890), RFC 1918 (private), RFC 6598 (shared address space, CGNAT), RFC 3927 and RFC 4291 (link-local),
/// RFC 5737 and RFC 3849 / RFC 9637 (documentation), RFC 2544 (benchmarking), RFC 4193 (unique local), RFC 6052 and
/// RFC 8215 (NAT64), RFC 3056 (6to4), RFC 4380 (Teredo), RFC 4291 section 2.5.5 (IPv4-compatible and IPv4-mapped),
/// RFC 2765 (IPv4-translated); provider metadata endpoints from their documentation (AWS IMDS 169.254.169.254 and
/// fd00:ec2::254, GCE 169.254.169.254 and fd20:ce::254, Azure WireServer 168.63.129.16, Alibaba Cloud 100.100.100.200).
/// </summary>
internal static class EgressAddresses
{
    /// <summary>The class name of an address a sandbox may reach.</summary>
    public const string PublicUnicast = "public unicast";

    private const string Metadata = "cloud metadata";

    private sealed record Range(IPNetwork Network, string Class, bool NeverAllowed);

    // Longest prefix wins (the table is sorted by prefix length, longest first), so a metadata /32 inside a wider
    // range is named as metadata.
    private static readonly Range[] IPv4Ranges = Sorted(
    [
        ("0.0.0.0/8", "\"this network\" (RFC 791)", true),
        ("10.0.0.0/8", "private (RFC 1918)", false),
        ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)", false),
        ("100.100.100.200/32", Metadata + " (Alibaba Cloud)", true),
        ("127.0.0.0/8", "loopback", true),
        ("168.63.129.16/32", Metadata + " (Azure WireServer)", true),
        ("169.254.0.0/16", "link-local (RFC 3927; holds " + Metadata + " 169.254.169.254)", true),
        ("169.254.169.254/32", Metadata + " (AWS, GCE, Azure, OpenStack)", true),
        ("172.16.0.0/12", "private (RFC 1918)", false),
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)", false),
        ("192.0.2.0/24", "documentation (RFC 5737)", false),
        ("192.88.99.0/24", "6to4 relay anycast (RFC 7526, deprecated)", false),
        ("192.168.0.0/16", "private (RFC 1918)", false),
        ("198.18.0.0/15", "benchmarking (RFC 2544)", false),
        ("198.51.100.0/24", "documentation (RFC 5737)", false),
        ("203.0.113.0/24", "documentation (RFC 5737)", false),
        ("224.0.0.0/4", "multicast", true),
        ("240.0.0.0/4", "reserved (RFC 1112)", false),
        ("255.255.255.255/32", "broadcast", true),
    ]);

    private static readonly Range[] IPv6Ranges = Sorted(
    [
        ("::/128", "unspecified", true),
        ("::1/128", "loopback", true),
        ("100::/64", "discard-only (RFC 6666)", false),
        ("2001:2::/48", "benchmarking (RFC 5180)", false),
        ("2001:10::/28", "ORCHID (RFC 4843, deprecated)", false),
        ("2001:20::/28", "ORCHIDv2 (RFC 7343)", false),
        ("2001:db8::/32", "documentation (RFC 3849)", false),
        ("3fff::/20", "documentation (RFC 9637)", false),
        ("fc00::/7", "unique local (RFC 4193)", false),
        ("fd00:ec2::254/128", Metadata + " (AWS IMDS IPv6)", true),
        ("fd20:ce::254/128", Metadata + " (GCE IPv6)", true),
        ("fe80::/10", "link-local (RFC 4291)", true),
        ("fec0::/10", "site-local (RFC 3879, deprecated)", false),
        ("ff00::/8", "multicast", true),
    ]);

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>
    /// The class of <paramref name="address"/>. IPv6 addresses that carry an IPv4 address are unpacked and the IPv4
    /// address is classified: IPv4-mapped <c>::ffff:0:0/96</c>, IPv4-translated <c>::ffff:0:0:0/96</c>, IPv4-compatible
    /// <c>::/96</c> (other than <c>::</c> and <c>::1</c>), NAT64 <c>64:ff9b::/96</c> and the local-use <c>64:ff9b:1::/48</c>
    /// (read with the /96 layout of RFC 6052, the IPv4 address in the last 32 bits), 6to4 <c>2002::/16</c> (bits 16-47),
    /// and Teredo <c>2001::/32</c> (both the server, bits 32-63, and the client, the last 32 bits inverted; the first that
    /// is not public decides). Other IPv6 addresses outside global unicast <c>2000::/3</c> are "reserved".
    /// <paramref name="clusterNetworks"/> (the cluster's Pod and Service CIDRs) are refused like private ranges, also
    /// when embedded.
    /// </summary>
    public static EgressAddressClass Classify(IPAddress address, IReadOnlyList<IPNetwork>? clusterNetworks = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var networks = clusterNetworks ?? [];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return ClassifyIPv4(address, address, networks, null);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return new EgressAddressClass(address, "not an IP address", false, true);
        }

        var plain = Plain(address);
        var b = plain.GetAddressBytes();
        if (plain.Equals(IPAddress.IPv6Any) || plain.Equals(IPAddress.IPv6Loopback))
        {
            return FromTables(address, plain, IPv6Ranges, networks, null, null, isUnicast: false);
        }

        var carried = Embedded(b).ToList();
        foreach (var (embedded, embedding) in carried)
        {
            var result = FromTables(address, embedded, IPv4Ranges, networks, embedded, embedding, isUnicast: true);
            if (!result.IsPublic)
            {
                return result;
            }
        }

        return carried.Count > 0
            ? new EgressAddressClass(address, PublicUnicast, true, false, carried[0].Address, carried[0].Embedding)
            : FromTables(address, plain, IPv6Ranges, networks, null, null, isUnicast: GlobalUnicast.Contains(plain));
    }

    /// <summary>
    /// True when one of <paramref name="allowed"/> (a runtime's <c>egress.allowedCIDRs</c>) contains the address or the
    /// IPv4 address it carries, and its class may be re-allowed at all (<see cref="EgressAddressClass.NeverAllowed"/>).
    /// </summary>
    public static bool IsReallowed(EgressAddressClass classified, IReadOnlyList<IPNetwork> allowed)
    {
        ArgumentNullException.ThrowIfNull(classified);
        ArgumentNullException.ThrowIfNull(allowed);
        if (classified.NeverAllowed)
        {
            return false;
        }

        var address = Plain(classified.Address);
        return allowed.Any(n => n.Contains(address) || (classified.EmbeddedIPv4 is { } v4 && n.Contains(v4)));
    }

    /// <summary>
    /// Parses CIDRs such as <c>10.0.0.0/8</c> or <c>fd00::/8</c> (no host bits set). Returns the networks, and a
    /// message for each entry that does not parse.
    /// </summary>
    public static (List<IPNetwork> Networks, List<string> Invalid) ParseCidrs(IEnumerable<string>? cidrs)
    {
        var networks = new List<IPNetwork>();
        var invalid = new List<string>();
        foreach (var cidr in cidrs ?? [])
        {
            if (cidr.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(cidr, out var network)
                && IPAddress.TryParse(cidr[..cidr.IndexOf('/', StringComparison.Ordinal)], out var given) && HostBitsClear(given, network.PrefixLength))
            {
                networks.Add(network);
            }
            else
            {
                invalid.Add($"{cidr} is not a CIDR such as 10.0.0.0/8 or fd00::/8 (address/prefix length, no bits set after the prefix)");
            }
        }

        return (networks, invalid);
    }

    private static bool HostBitsClear(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static EgressAddressClass ClassifyIPv4(IPAddress address, IPAddress v4, IReadOnlyList<IPNetwork> networks, string? embedding) =>
        FromTables(address, v4, IPv4Ranges, networks, embedding is null ? null : v4, embedding, isUnicast: true);

    /// <summary>
    /// The class of <paramref name="checkedAddress"/>: a never-allowed range first, then the cluster networks (more
    /// telling than "private"), then the other special ranges; otherwise public when <paramref name="isUnicast"/>.
    /// </summary>
    private static EgressAddressClass FromTables(
        IPAddress address, IPAddress checkedAddress, Range[] table, IReadOnlyList<IPNetwork> networks, IPAddress? embedded, string? embedding, bool isUnicast)
    {
        var range = Lookup(table, checkedAddress);
        if (range is { NeverAllowed: true })
        {
            return new EgressAddressClass(address, range.Class, false, true, embedded, embedding);
        }

        if (InClusterNetworks(checkedAddress, networks) is { } cluster)
        {
            return new EgressAddressClass(address, ClusterClass(cluster), false, false, embedded, embedding);
        }

        if (range is not null)
        {
            return new EgressAddressClass(address, range.Class, false, false, embedded, embedding);
        }

        return isUnicast
            ? new EgressAddressClass(address, PublicUnicast, true, false, embedded, embedding)
            : new EgressAddressClass(address, "reserved (outside IPv6 global unicast 2000::/3)", false, false, embedded, embedding);
    }

    private static IEnumerable<(IPAddress Address, string Embedding)> Embedded(byte[] b)
    {
        bool Zero(int from, int to) => b[from..to].All(x => x == 0);
        IPAddress At(int i) => new([b[i], b[i + 1], b[i + 2], b[i + 3]]);

        if (Zero(0, 10) && b[10] == 0xff && b[11] == 0xff)
        {
            yield return (At(12), "IPv4-mapped ::ffff:0:0/96");
        }
        else if (Zero(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
        {
            yield return (At(12), "IPv4-translated ::ffff:0:0:0/96");
        }
        else if (Zero(0, 12))
        {
            yield return (At(12), "IPv4-compatible ::/96");
        }
        else if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(4, 12))
        {
            yield return (At(12), "NAT64 64:ff9b::/96");
        }
        else if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        {
            yield return (At(12), "local-use NAT64 64:ff9b:1::/48");
        }
        else if (b[0] == 0x20 && b[1] == 0x02)
        {
            yield return (At(2), "6to4 2002::/16");
        }
        else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            yield return (At(4), "Teredo 2001::/32 (server)");
            yield return (new IPAddress([(byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]]), "Teredo 2001::/32 (client)");
        }
    }

    private static Range? Lookup(Range[] ranges, IPAddress address) => ranges.FirstOrDefault(r => r.Network.Contains(address));

    private static IPNetwork? InClusterNetworks(IPAddress address, IReadOnlyList<IPNetwork> networks) =>
        networks.Where(n => n.Contains(address)).Select(n => (IPNetwork?)n).FirstOrDefault();

    private static string ClusterClass(IPNetwork network) => $"cluster network {network} (Sandbox:ClusterCIDRs)";

    private static IPAddress Plain(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;

    private static Range[] Sorted(IEnumerable<(string Cidr, string Class, bool NeverAllowed)> ranges) =>
        [.. ranges.Select(r => new Range(IPNetwork.Parse(r.Cidr), r.Class, r.NeverAllowed)).OrderByDescending(r => r.Network.PrefixLength)];
}
