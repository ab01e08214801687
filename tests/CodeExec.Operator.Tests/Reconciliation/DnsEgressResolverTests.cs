using System.Net;
using System.Net.Sockets;
using CodeExec.Operator.Reconciliation;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>Security review finding 10(a): allowed hosts are resolved as absolute names, never through the search path.</summary>
public sealed class DnsEgressResolverTests
{
    [Fact]
    public async Task Hosts_are_looked_up_with_a_trailing_dot_and_reported_under_their_own_name()
    {
        var asked = new List<string>();
        var resolver = new DnsEgressResolver((name, _) =>
        {
            asked.Add(name);
            return Task.FromResult(name == "pypi.org." ? new[] { IPAddress.Parse("151.101.0.223") } : throw new SocketException((int)SocketError.HostNotFound));
        });

        var resolved = await resolver.ResolveAsync(["pypi.org", "missing.example", "files.pythonhosted.org."], TestContext.Current.CancellationToken);

        Assert.Equal(["pypi.org.", "missing.example.", "files.pythonhosted.org."], asked);
        Assert.Equal([IPAddress.Parse("151.101.0.223")], resolved["pypi.org"]);
        Assert.Empty(resolved["missing.example"]);
        Assert.Empty(resolved["files.pythonhosted.org."]);
    }

    [Theory]
    [InlineData("pypi.org", "pypi.org.")]
    [InlineData("pypi.org.", "pypi.org.")]
    [InlineData("pypi.org..", "pypi.org.")]
    public void Absolute_names_end_in_exactly_one_dot(string host, string absolute) =>
        Assert.Equal(absolute, DnsEgressResolver.AbsoluteName(host));
}
