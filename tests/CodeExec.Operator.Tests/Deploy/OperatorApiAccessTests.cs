using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The operator's permissions proven from what it does: the emulator records every API request the operator makes
/// (User-Agent <c>codeexec-operator</c>) in RBAC's terms while it runs every kind of execution, with leader election on;
/// the set must equal the permissions derived from the code (<see cref="OperatorPermissions.Derive"/>, which
/// KustomizeConfigTests and HelmChartTests compare with config/rbac and the chart's roles), both ways: nothing used is
/// missing, nothing granted is unused (but what the code declares as checked by admission rather than requested).
/// </summary>
public sealed class OperatorApiAccessTests : IAsyncLifetime
{
    private const string Agent = "codeexec-operator";

    private SandboxCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:LeaderElection:Enabled"] = "true",
            // As config/ and the chart install it: sandbox Pods get the PriorityClass, and the operator creates the
            // namespace's ResourceQuota scoped to it.
            ["Sandbox:PriorityClassName"] = "codeexec-sandbox",
            ["Operator:LeaderElection:LeaseDuration"] = "00:00:02",
            ["Operator:LeaderElection:RenewDeadline"] = "00:00:01.500",
            ["Operator:LeaderElection:RetryPeriod"] = "00:00:00.200",
        });
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task The_operator_uses_exactly_what_its_roles_grant_and_never_lists_or_watches_Secrets_or_ConfigMaps()
    {
        await RunEveryKindOfExecutionAsync();

        var used = _cluster.Emulator.Access.Of(Agent);
        var usedRules = used.Select(a => (a.Group, a.Resource, a.Verb)).ToHashSet();
        var permissions = OperatorPermissions.Derive();
        var granted = permissions.ClusterWide.Concat(permissions.LeaderElection)
            .SelectMany(p => p.Value.Select(verb => (p.Key.Group, p.Key.Resource, Verb: verb))).ToHashSet();

        var missing = usedRules.Except(granted).Select(Describe).Order(StringComparer.Ordinal).ToList();
        var unused = granted.Except(usedRules).Where(g => !permissions.WithoutARequest.ContainsKey(g)).Select(Describe).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "used but not granted:\n" + string.Join("\n", missing));
        Assert.True(unused.Count == 0, "granted but never used:\n" + string.Join("\n", unused));
        // What the code declares as checked by admission only is indeed never a request.
        Assert.Empty(usedRules.Intersect(permissions.WithoutARequest.Keys));
        Assert.DoesNotContain(used, a => a.Group == "" && a.Resource is "secrets" or "configmaps" && a.Verb is "list" or "watch");
        Assert.DoesNotContain(granted, g => g.Group == "" && g.Resource is "secrets" or "configmaps" && g.Verb is "list" or "watch");
        // Only the watches and lists of the caches are cluster-wide; every other request names a namespace.
        Assert.All(used.Where(a => a.ClusterWide), a => Assert.Contains(a.Verb, new[] { "list", "watch" }));
    }

    private static string Describe((string Group, string Resource, string Verb) rule) =>
        (rule.Group.Length == 0 ? rule.Resource : rule.Resource + "." + rule.Group) + " " + rule.Verb;

    /// <summary>
    /// What the operator can be asked to do: a run to its end and TTL deletion, code from a ConfigMap and from a Secret,
    /// a rejection, a Pod deleted by someone else, an isolation lost (its NetworkPolicy deleted), the collector's and
    /// the code container's logs read, the namespace's sandbox ResourceQuota created, Namespaces watched for their limits.
    /// </summary>
    private async Task RunEveryKindOfExecutionAsync()
    {
        await _cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "source" },
            Data = new Dictionary<string, string> { ["code"] = "print('from a ConfigMap')" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "secret-source", Labels = new Dictionary<string, string> { ["codeexec.dev/code-source"] = "true" } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["code"] = Encoding.UTF8.GetBytes("print('from a Secret')") },
        }, SandboxCluster.Namespace, cancellationToken: Ct);

        foreach (var name in new[] { "hello", "from-configmap", "from-secret" })
        {
            _cluster.ScriptSandbox(name, new ScriptedContainer { ExitCode = 1 }, Encoding.UTF8.GetBytes("out\n"));
        }

        _cluster.ScriptSandbox("deleted", new ScriptedContainer { RunsUntilStopped = true });
        _cluster.ScriptSandbox("isolation", new ScriptedContainer { RunsUntilStopped = true });

        await _cluster.CreateExecutionAsync("hello", spec => spec.TtlSecondsAfterFinished = 0);
        await _cluster.CreateExecutionAsync("from-configmap", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "source", Key = "code" } };
        });
        await _cluster.CreateExecutionAsync("from-secret", spec =>
        {
            spec.Code = null;
            spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "secret-source", Key = "code" } };
        });
        await _cluster.CreateExecutionAsync("rejected", spec => spec.Runtime = "no-such-runtime");
        await _cluster.CreateExecutionAsync("deleted", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });
        await _cluster.CreateExecutionAsync("isolation", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 120 });

        await _cluster.WaitForAsync("hello", e => e is null, what: "deletion after ttlSecondsAfterFinished 0");
        await _cluster.WaitForFinalAsync("from-configmap");
        await _cluster.WaitForFinalAsync("from-secret");
        await _cluster.WaitForFinalAsync("rejected");

        await _cluster.WaitForPhaseAsync("deleted", ExecutionPhase.Running);
        var deletedPod = await _cluster.PodNameAsync("deleted");
        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(deletedPod, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.WaitForFinalAsync("deleted");

        await _cluster.WaitForPhaseAsync("isolation", ExecutionPhase.Running);
        var names = await _cluster.ChildNamesAsync("isolation");
        await _cluster.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(names.Policy, SandboxCluster.Namespace, cancellationToken: Ct);
        await _cluster.WaitForFinalAsync("isolation");

        // Every child is cleaned up, and the leader has renewed its Lease at least once meanwhile.
        foreach (var name in new[] { "from-configmap", "from-secret", "deleted", "isolation" })
        {
            var pod = await _cluster.PodNameAsync(name);
            await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(pod) is null, $"the Pod of {name} is deleted");
        }

        await EmulatedCluster.EventuallyAsync(() => Task.FromResult(_cluster.Emulator.Access.Of(Agent).Any(a => a is { Resource: "leases", Verb: "update" })),
            "the Lease renewed");
    }
}
