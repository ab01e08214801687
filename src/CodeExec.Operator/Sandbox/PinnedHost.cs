using System.Net;

namespace CodeExec.Operator.Sandbox;

/// <summary>An allowed egress host and the addresses it resolved to when the execution was admitted; the sandbox reaches only these.</summary>
/// <param name="Host">The host name, as the user and the runtime allow-list name it.</param>
/// <param name="Addresses">Its addresses, sorted; the NetworkPolicy allows exactly these (/32 or /128) and hostAliases pin them.</param>
internal sealed record PinnedHost(string Host, IReadOnlyList<IPAddress> Addresses);
