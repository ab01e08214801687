using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// One namespace cannot take every sandbox slot: past its limits, executions wait in phase Queued, cost nothing while
/// they wait, start oldest first when a slot frees, and never delay another namespace's executions.
/// </summary>
public sealed class NamespaceQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Executions_over_the_namespace_maximum_wait_queued_then_run()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string> { ["Operator:Executions:MaxActivePerNamespace"] = "1" });
        cluster.ScriptSandbox("first", new ScriptedContainer { Duration = TimeSpan.FromSeconds(2) }, "1\n");
        cluster.ScriptSandbox("second", new ScriptedContainer(), "2\n");

        await cluster.CreateExecutionAsync("first");
        await cluster.WaitForPhaseAsync("first", ExecutionPhase.Running);
        await cluster.CreateExecutionAsync("second");

        var queued = (await cluster.WaitForPhaseAsync("second", ExecutionPhase.Queued)).Status!;
        Assert.Equal(ExecutionReason.QuotaExceeded, queued.Reason);
        Assert.Equal("waiting: namespace default has 1 of 1 concurrent executions", queued.Message);
        Assert.Null(await cluster.GetPodAsync(await cluster.PodNameAsync("second")));

        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("first")).Status!.Phase);
        var second = (await cluster.WaitForFinalAsync("second")).Status!;
        Assert.Equal(ExecutionPhase.Succeeded, second.Phase);
        Assert.Equal("2\n", second.Stdout);
    }

    [Fact]
    public async Task Finding_7_a_queued_execution_makes_no_DNS_lookup_and_no_code_read_while_it_waits_and_a_finishing_Pod_wakes_it()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.CreateRuntimeAsync("egress", spec =>
            spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["api.example.test"] });
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "source", NamespaceProperty = SandboxCluster.Namespace },
            Data = new Dictionary<string, string> { ["code"] = "print('queued')" },
        }, SandboxCluster.Namespace, cancellationToken: Ct);
        var resolver = new CountingResolver();
        // The periodic recheck is far beyond the test: only a wake can start the queued execution in time.
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "1",
            ["Operator:Executions:QueuedRecheckInterval"] = "00:10:00",
        }, configure: builder => builder.Services.Replace(ServiceDescriptor.Singleton<IEgressResolver>(resolver)));
        cluster.ScriptSandbox("first", new ScriptedContainer { Duration = TimeSpan.FromSeconds(3) }, "1\n");
        cluster.ScriptSandbox("waiting", new ScriptedContainer(), "queued\n");

        await cluster.CreateExecutionAsync("first");
        await cluster.WaitForPhaseAsync("first", ExecutionPhase.Running);
        var configMapReads = cluster.Emulator.Faults.Requests("GET", "configmaps");
        await cluster.CreateExecutionAsync("waiting", spec =>
        {
            spec.Runtime = "egress";
            spec.Code = null;
            spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "source", Key = "code" } };
            spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["api.example.test"] };
        });
        Assert.Equal(ExecutionPhase.Queued, (await cluster.WaitForPhaseAsync("waiting", ExecutionPhase.Queued)).Status!.Phase);

        // More executions join the queue, and each wakes the oldest waiting one: it checks again from the caches only.
        await cluster.CreateExecutionAsync("third");
        await cluster.CreateExecutionAsync("fourth");
        await cluster.WaitForPhaseAsync("fourth", ExecutionPhase.Queued);
        Assert.Equal(ExecutionPhase.Running, (await cluster.GetExecutionAsync("first"))!.Status!.Phase);
        Assert.Equal(0, resolver.Lookups);
        Assert.Equal(configMapReads, cluster.Emulator.Faults.Requests("GET", "configmaps"));

        // The first Pod finishes: that wakes the oldest waiting execution, which only now resolves its host and reads its code.
        var status = (await cluster.WaitForFinalAsync("waiting", TimeSpan.FromSeconds(30))).Status!;
        Assert.Equal((ExecutionPhase.Succeeded, "queued\n"), (status.Phase, status.Stdout));
        Assert.Equal(1, resolver.Lookups);
        Assert.True(cluster.Emulator.Faults.Requests("GET", "configmaps") > configMapReads, "the codeFrom ConfigMap was read once a slot was free");
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("third", TimeSpan.FromSeconds(30))).Status!.Phase);
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("fourth", TimeSpan.FromSeconds(30))).Status!.Phase);
    }

    [Fact]
    public async Task Executions_of_one_namespace_start_oldest_first()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "1",
            ["Operator:Executions:QueuedRecheckInterval"] = "00:10:00",
        });
        // e0 holds the only slot until all four others wait together, so the order they start in is the queue's.
        cluster.ScriptSandbox("e0", new ScriptedContainer { Duration = TimeSpan.FromSeconds(6) }, "0\n");
        await cluster.CreateExecutionAsync("e0");
        await cluster.WaitForPhaseAsync("e0", ExecutionPhase.Running);
        for (var i = 1; i <= 4; i++)
        {
            // Each runs over a second, so their start times differ even at whole-second precision.
            cluster.ScriptSandbox("e" + i, new ScriptedContainer { Duration = TimeSpan.FromMilliseconds(1100) }, i + "\n");
            await cluster.CreateExecutionAsync("e" + i);
            await Task.Delay(1100, Ct); // creationTimestamp has whole seconds
        }

        foreach (var name in new[] { "e1", "e2", "e3", "e4" })
        {
            Assert.Equal(ExecutionPhase.Queued, (await cluster.WaitForAsync(name, e => e?.Status?.Phase is not null, what: "a phase"))!.Status!.Phase);
        }

        var started = new List<(string Name, DateTime Started)>();
        for (var i = 1; i <= 4; i++)
        {
            var status = (await cluster.WaitForFinalAsync("e" + i, TimeSpan.FromSeconds(30))).Status!;
            Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
            started.Add(("e" + i, status.StartTime!.Value));
        }

        Assert.Equal(["e1", "e2", "e3", "e4"], started.OrderBy(s => s.Started).Select(s => s.Name));
    }

    [Fact]
    public async Task A_tenant_with_50_queued_executions_does_not_delay_another_tenants_single_execution()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        const string busy = "team-a";
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = busy } }, cancellationToken: Ct);
        // One reconcile at a time, and each API request slowed: reconciling 50 executions ahead of the other tenant's
        // would take seconds.
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "1",
            ["Operator:Controller:MaxConcurrentReconciles"] = "1",
        });
        cluster.ScriptSandbox("a-running", new ScriptedContainer { RunsUntilStopped = true });
        await CreateInAsync(cluster, busy, "a-running");
        await EmulatedCluster.EventuallyAsync(async () => (await GetInAsync(cluster, busy, "a-running"))?.Status?.Phase == ExecutionPhase.Running,
            "team-a's first execution runs");

        cluster.Emulator.Faults.Latency = TimeSpan.FromMilliseconds(20);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => CreateInAsync(cluster, busy, "a" + i)));
        await cluster.CreateExecutionAsync("other-tenant");
        await cluster.WaitForAsync("other-tenant", e => e?.Status?.PodUid is not null, TimeSpan.FromSeconds(30), "a sandbox Pod");

        var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<CodeExecutionList>(
            ApiConstants.Group, ApiConstants.Version, busy, ApiConstants.CodeExecutionPlural, cancellationToken: Ct);
        var reconciledFirst = list.Items.Count(e => e.Status?.Phase == ExecutionPhase.Queued);
        Assert.True(reconciledFirst < 10, $"{reconciledFirst} of team-a's 50 executions were reconciled before the other tenant's started");

        cluster.Emulator.Faults.Latency = TimeSpan.Zero;
        Assert.Equal(ExecutionPhase.Succeeded, (await cluster.WaitForFinalAsync("other-tenant")).Status!.Phase);
        await EmulatedCluster.EventuallyAsync(async () => (await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<CodeExecutionList>(
                ApiConstants.Group, ApiConstants.Version, busy, ApiConstants.CodeExecutionPlural, cancellationToken: Ct))
            .Items.Count(e => e.Status?.Phase == ExecutionPhase.Queued) == 50, "team-a's 50 executions are all queued");
    }

    [Fact]
    public async Task A_Namespace_annotation_sets_its_cpu_limit_and_raising_it_wakes_the_queued_execution()
    {
        await using var cluster = await SandboxCluster.StartAsync();
        const string limited = "limited";
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = limited, Annotations = new Dictionary<string, string> { [NamespaceLimits.MaxCpuAnnotation] = "1" } },
        }, cancellationToken: Ct);
        await cluster.StartOperatorAsync(new Dictionary<string, string>
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "5",
            ["Operator:Executions:MaxCpuPerNamespace"] = "8",
            ["Operator:Executions:QueuedRecheckInterval"] = "00:10:00",
        });
        cluster.ScriptSandbox("big-1", new ScriptedContainer { RunsUntilStopped = true });
        cluster.ScriptSandbox("big-2", new ScriptedContainer { RunsUntilStopped = true });

        await CreateInAsync(cluster, limited, "big-1");
        await EmulatedCluster.EventuallyAsync(async () => (await GetInAsync(cluster, limited, "big-1"))?.Status?.Phase == ExecutionPhase.Running,
            "the first execution runs");
        await CreateInAsync(cluster, limited, "big-2");
        await EmulatedCluster.EventuallyAsync(async () => (await GetInAsync(cluster, limited, "big-2"))?.Status?.Phase == ExecutionPhase.Queued,
            "the second execution waits");

        // 500m of code and the collector's limit, twice, is more than the namespace's 1 CPU (not the configured 8).
        var message = (await GetInAsync(cluster, limited, "big-2"))!.Status!.Message!;
        Assert.Matches(@"^waiting: namespace limited would use 1\.\d+ of 1 CPU$", message);

        var namespaceObject = await cluster.Client.CoreV1.ReadNamespaceAsync(limited, cancellationToken: Ct);
        namespaceObject.Metadata.Annotations[NamespaceLimits.MaxCpuAnnotation] = "4";
        await cluster.Client.CoreV1.ReplaceNamespaceAsync(namespaceObject, limited, cancellationToken: Ct);

        await EmulatedCluster.EventuallyAsync(async () => (await GetInAsync(cluster, limited, "big-2"))?.Status?.Phase == ExecutionPhase.Running,
            "the second execution runs once the Namespace allows 4 CPU");
    }

    private static Task<CodeExecution> CreateInAsync(SandboxCluster cluster, string namespaceName, string name) =>
        cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<CodeExecution>(new CodeExecution
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = namespaceName },
            Spec = new CodeExecutionSpec { Runtime = SandboxCluster.Runtime, Code = "print('a')" },
        }, ApiConstants.Group, ApiConstants.Version, namespaceName, ApiConstants.CodeExecutionPlural, cancellationToken: Ct);

    private static async Task<CodeExecution?> GetInAsync(SandboxCluster cluster, string namespaceName, string name)
    {
        try
        {
            return await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(ApiConstants.Group, ApiConstants.Version,
                namespaceName, ApiConstants.CodeExecutionPlural, name, cancellationToken: Ct);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private sealed class CountingResolver : IEgressResolver
    {
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _lookups);
            IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> resolved = hosts.ToDictionary(h => h, _ => (IReadOnlyList<IPAddress>)[IPAddress.Parse("93.184.216.34")]);
            return Task.FromResult(resolved);
        }
    }
}
