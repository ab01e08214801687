using System.Text.RegularExpressions;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Tests.Deploy;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Hosting;

/// <summary>
/// The derivation of the operator's RBAC permissions, and the rule that keeps it whole: nothing in the operator reaches
/// the API server except through the facade, the watchers and the leader election, whose permissions are derived.
/// </summary>
public sealed partial class OperatorPermissionsTests
{
    /// <summary>The files that may talk to the API server directly, and what each is.</summary>
    private static readonly Dictionary<string, string> AllowedFiles = new(StringComparer.Ordinal)
    {
        ["Reconciliation/OperatorApi.cs"] = "the typed facade; each method declares its permission",
        ["Controller/Watching/ResourceWatcher.cs"] = "list and watch of each registered kind (WatchRequests.Verbs)",
        ["Controller/LeaderElection/LeaderElectionService.cs"] = "the Lease, through the library's LeaseLock (declared on the class)",
        ["Controller/Client/KubernetesApiClient.cs"] = "the client itself",
        ["Controller/ControllerServiceCollectionExtensions.cs"] = "registers the client",
        ["Hosting/KubernetesClientFactory.cs"] = "builds the client",
    };

    [Fact]
    public void The_derived_roles_hold_no_list_or_watch_of_Secrets_or_ConfigMaps_and_leader_election_only_the_Lease()
    {
        var permissions = OperatorPermissions.Derive();

        Assert.DoesNotContain(permissions.ClusterWide, p => p.Key.Group == "" && p.Key.Resource is "secrets" or "configmaps"
                                                            && p.Value.Any(v => v is "list" or "watch"));
        Assert.Equal(["create", "delete", "get"], permissions.ClusterWide[("", "secrets")]);
        Assert.Equal(["get", "list", "watch"], permissions.ClusterWide[("", "pods")].Intersect(["get", "list", "watch"]), StringComparer.Ordinal);
        Assert.Equal(("coordination.k8s.io", "leases"), Assert.Single(permissions.LeaderElection).Key);
        Assert.Equal(("codeexec.dev", "codeexecutions/finalizers", "update"), Assert.Single(permissions.WithoutARequest).Key);
    }

    [Fact]
    public void Nothing_in_the_operator_calls_the_API_server_outside_the_facade_the_watchers_and_the_leader_election()
    {
        var source = RepositoryFiles.PathOf("src", "CodeExec.Operator");
        var offenders = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(source, f).Replace(Path.DirectorySeparatorChar, '/'), Calls: DirectApiUses(File.ReadAllText(f))))
            .Where(f => f.Calls.Count > 0 && !AllowedFiles.ContainsKey(f.File))
            .Select(f => $"{f.File}: {string.Join(", ", f.Calls)}")
            .ToList();

        Assert.True(offenders.Count == 0,
            "API calls outside the facade (their permissions would not be derived; add a method to IOperatorApi instead):\n" + string.Join("\n", offenders));
        Assert.All(AllowedFiles.Keys, file => Assert.True(File.Exists(Path.Combine(source, file)), file + " no longer exists: update the allowed list"));
    }

    [Theory]
    [InlineData("await client.CoreV1.ReadNamespacedPodAsync(name, ns);", ".CoreV1.")]
    [InlineData("client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(g, v, ns, p, n)", ".CustomObjects.")]
    [InlineData("k.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(n, ns)", ".NetworkingV1.")]
    [InlineData("k.AppsV1.ListDeploymentForAllNamespacesAsync()", ".AppsV1.")]
    [InlineData("internal sealed class X(IKubernetes client)", "IKubernetes")]
    [InlineData("var l = new LeaseLock(client, ns, name, id);", "LeaseLock")]
    [InlineData("await api.GetStreamingAsync(path, ct);", "GetStreamingAsync")]
    [InlineData("var pods = await client.CoreV1", ".CoreV1")]
    [InlineData("using var generic = new GenericClient(client, \"\", \"v1\", \"pods\");", "GenericClient")]
    [InlineData("internal sealed class X(KubernetesApiClient client)", "KubernetesApiClient")]
    public void The_scan_finds_direct_calls(string code, string found)
    {
        Assert.Equal([found], DirectApiUses(code));
    }

    [Theory]
    [InlineData("/// <summary>uses <see cref=\"IKubernetes\"/> through .CoreV1. calls</summary>")]
    [InlineData("// client.CoreV1.ReadNamespacedPodAsync")]
    [InlineData("var pod = new k8s.Models.V1Pod(); await api.ReadPodAsync(name, ns, ct); IKubernetesObject<V1ObjectMeta> o;")]
    public void The_scan_ignores_comments_models_and_the_facade(string code)
    {
        Assert.Empty(DirectApiUses(code));
    }

    /// <summary>Direct uses of the Kubernetes client in C# source, comment lines left out.</summary>
    private static List<string> DirectApiUses(string code) =>
        code.Split('\n')
            .Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal))
            .SelectMany(line => DirectUse().Matches(line).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();

    // An API group of the generated client (CoreV1, NetworkingV1, CoordinationV1, AppsV1, RbacAuthorizationV1...),
    // CustomObjects, the client interface itself, the library's Lease lock, or the raw streaming GET.
    // A group ending a line counts too (a fluent call continued on the next line), and so do the library's untyped
    // GenericClient and our KubernetesApiClient used outside the files that build and register it.
    [GeneratedRegex(@"\.(?:[A-Z][A-Za-z]*V\d+(?:alpha\d+|beta\d+)?|CustomObjects)(?:\.|\s*$)|\bIKubernetes\b|\bLeaseLock\b|\bGetStreamingAsync\b|\bGenericClient\b|\bKubernetesApiClient\b")]
    private static partial Regex DirectUse();
}
