using System.Net;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Resolves the host names of an egress allow-list, so the NetworkPolicy can be pinned to their addresses.</summary>
internal interface IEgressResolver
{
    /// <summary>The addresses of each host (keyed by the host as given); a host that does not resolve maps to an empty list.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves through the operator's own DNS (the sandbox never gets DNS), always as an absolute name: <c>pypi.org</c> is
/// looked up as <c>pypi.org.</c>, so the operator Pod's <c>resolv.conf</c> search path (<c>ndots:5</c>, search
/// <c>&lt;ns&gt;.svc.cluster.local svc.cluster.local cluster.local</c>) is never tried first, and <c>pypi.org</c> can never
/// become Service <c>pypi</c> in a namespace <c>org</c> (security review finding 10a). CNAMEs are followed by the
/// system resolver and not reported (.NET's <see cref="Dns"/> does not expose them); admission checks the final
/// addresses (<see cref="EgressAddresses"/>), wherever a CNAME chain led.
/// </summary>
/// <param name="lookup">The address lookup of an absolute name; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> in production.</param>
internal sealed class DnsEgressResolver(Func<string, CancellationToken, Task<IPAddress[]>> lookup) : IEgressResolver
{
    /// <summary>Resolves with the system resolver.</summary>
    public DnsEgressResolver()
        : this(Dns.GetHostAddressesAsync)
    {
    }

    /// <summary>The absolute form of <paramref name="host"/>: with exactly one trailing dot.</summary>
    public static string AbsoluteName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.TrimEnd('.') + ".";
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            try
            {
                resolved[host] = await lookup(AbsoluteName(host), cancellationToken);
            }
            catch (System.Net.Sockets.SocketException)
            {
                resolved[host] = [];
            }
        }

        return resolved;
    }
}
