using System.Net;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Resolves the host names of an egress allow-list, so the NetworkPolicy can be pinned to their addresses.</summary>
internal interface IEgressResolver
{
    /// <summary>The addresses of each host; a host that does not resolve maps to an empty list.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken);
}

/// <summary>Resolves through the operator's own DNS (the sandbox never gets DNS).</summary>
internal sealed class DnsEgressResolver : IEgressResolver
{
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            try
            {
                resolved[host] = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (System.Net.Sockets.SocketException)
            {
                resolved[host] = [];
            }
        }

        return resolved;
    }
}
