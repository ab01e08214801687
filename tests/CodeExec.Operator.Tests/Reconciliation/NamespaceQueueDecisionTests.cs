using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>The pure parts of the per-namespace queue: limits from options and annotations, Pod limits, the decision, the order.</summary>
public sealed class NamespaceQueueDecisionTests
{
    private const decimal Mi = 1024 * 1024;
    private static readonly NamespaceLimits TwoOfEach = new(2, 2m, 1024 * Mi);

    [Fact]
    public void Starts_when_every_limit_leaves_room_and_no_older_execution_waits()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(0.6m, 320 * Mi), new NamespaceUsage(1, new PodResources(1.4m, 704 * Mi)), TwoOfEach, 0);

        Assert.Equal(new QueueDecision(QueueVerdict.Start, null), decision);
    }

    [Fact]
    public void Waits_naming_the_concurrency_limit()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(0.1m, Mi), new NamespaceUsage(2, PodResources.Zero), TwoOfEach, 0);

        Assert.Equal(new QueueDecision(QueueVerdict.Wait, "waiting: namespace team-a has 2 of 2 concurrent executions"), decision);
    }

    [Fact]
    public void Waits_naming_the_cpu_limit_with_the_total_it_would_reach()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(1.5m, Mi), new NamespaceUsage(1, new PodResources(1.5m, Mi)), TwoOfEach, 0);

        Assert.Equal(new QueueDecision(QueueVerdict.Wait, "waiting: namespace team-a would use 3 of 2 CPU"), decision);
    }

    [Fact]
    public void Waits_naming_the_memory_limit()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(0.1m, 768 * Mi), new NamespaceUsage(1, new PodResources(0.1m, 512 * Mi)), TwoOfEach, 0);

        Assert.Equal(new QueueDecision(QueueVerdict.Wait, "waiting: namespace team-a would use 1280Mi of 1024Mi memory"), decision);
    }

    [Fact]
    public void Waits_behind_older_executions_even_with_room_and_only_the_oldest_is_the_head()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(0.1m, Mi), new NamespaceUsage(0, PodResources.Zero), TwoOfEach, 3);

        Assert.Equal(new QueueDecision(QueueVerdict.Wait, "waiting: older executions of namespace team-a start first", IsHead: false), decision);
    }

    [Fact]
    public void A_Pod_larger_than_a_namespace_maximum_on_its_own_is_rejected()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(2.1m, Mi), new NamespaceUsage(0, PodResources.Zero), TwoOfEach, 0);

        Assert.Equal(QueueVerdict.Reject, decision.Verdict);
        Assert.Contains("2.1 CPU", decision.Message, StringComparison.Ordinal);
        Assert.Contains("namespace team-a may use at once: 2 CPU", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_limits_means_everything_starts()
    {
        var decision = NamespaceQueue.Decide("team-a", new PodResources(64, 1024 * 1024 * Mi), new NamespaceUsage(500, new PodResources(1000, 1024 * 1024 * Mi)),
            new NamespaceLimits(0, null, null), 0);

        Assert.Equal(QueueVerdict.Start, decision.Verdict);
    }

    [Fact]
    public void Namespace_annotations_override_the_configured_defaults_and_invalid_ones_are_ignored_and_named()
    {
        var options = new ExecutionOptions { MaxActivePerNamespace = 10, MaxCpuPerNamespace = "8", MaxMemoryPerNamespace = "16Gi" };
        var namespaceObject = new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "team-a",
                Annotations = new Dictionary<string, string>
                {
                    [NamespaceLimits.MaxActiveAnnotation] = "2",
                    [NamespaceLimits.MaxCpuAnnotation] = "1500m",
                    [NamespaceLimits.MaxMemoryAnnotation] = "lots",
                },
            },
        };

        Assert.Equal(new NamespaceLimits(10, 8m, 16 * 1024 * Mi), NamespaceLimits.Resolve(options, null, out var none));
        Assert.Empty(none);
        Assert.Equal(new NamespaceLimits(2, 1.5m, 16 * 1024 * Mi), NamespaceLimits.Resolve(options, namespaceObject, out var problems));
        Assert.Equal("annotation codeexec.dev/max-memory=\"lots\" is not a quantity of 0 or more", Assert.Single(problems));
    }

    [Theory]
    [InlineData("5", "1", "1Gi", false, 5, "1", "1Gi", 0)]
    [InlineData("20", "1", "1Gi", false, 10, "1", "1Gi", 1)]
    [InlineData("0", "", "", false, 10, "8", "16Gi", 3)]
    [InlineData("20", "16", "", true, 20, "16", null, 0)]
    [InlineData("0", "", "32Gi", true, 0, null, "32Gi", 0)]
    public void Annotations_only_lower_the_limits_unless_raising_is_allowed(
        string active, string cpu, string memory, bool mayRaise, int expectedActive, string? expectedCpu, string? expectedMemory, int problemCount)
    {
        var options = new ExecutionOptions { MaxActivePerNamespace = 10, MaxCpuPerNamespace = "8", MaxMemoryPerNamespace = "16Gi", NamespaceAnnotationsMayRaise = mayRaise };
        var namespaceObject = new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "tenant",
                Annotations = new Dictionary<string, string>
                {
                    [NamespaceLimits.MaxActiveAnnotation] = active,
                    [NamespaceLimits.MaxCpuAnnotation] = cpu,
                    [NamespaceLimits.MaxMemoryAnnotation] = memory,
                },
            },
        };

        var limits = NamespaceLimits.Resolve(options, namespaceObject, out var problems);

        Assert.Equal(
            new NamespaceLimits(expectedActive, expectedCpu is null ? null : new ResourceQuantity(expectedCpu).ToDecimal(),
                expectedMemory is null ? null : new ResourceQuantity(expectedMemory).ToDecimal()),
            limits);
        Assert.Equal(problemCount, problems.Count);
        Assert.All(problems, p => Assert.EndsWith("would raise the operator's limit and is ignored (Operator:Executions:NamespaceAnnotationsMayRaise is off)", p, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-1, null, null, 1)]
    [InlineData(0, "two", "1Gi", 1)]
    [InlineData(0, "", "-1Gi", 1)]
    [InlineData(0, "2", "4Gi", 0)]
    public void Invalid_configured_defaults_are_refused(int maxActive, string? cpu, string? memory, int problems) =>
        Assert.Equal(problems, NamespaceLimits.Validate(new ExecutionOptions { MaxActivePerNamespace = maxActive, MaxCpuPerNamespace = cpu, MaxMemoryPerNamespace = memory }).Count);

    [Fact]
    public void Pod_limits_add_the_containers_and_the_sidecars_and_overhead_only_when_asked()
    {
        var pod = new V1Pod
        {
            Spec = new V1PodSpec
            {
                Containers = [Container("code", "500m", "256Mi")],
                InitContainers = [Container("collector", "100m", "128Mi", "Always"), Container("setup", "2", "64Mi")],
                Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
            },
        };

        // Containers and sidecars: 600m and 384Mi; the regular init container runs beside the sidecar before them: 2.1 CPU.
        Assert.Equal(new PodResources(2.1m, 384 * Mi), PodResources.LimitsOf(pod));
        Assert.Equal(new PodResources(2.2m, 512 * Mi), PodResources.LimitsOf(pod, withOverhead: true));
    }

    [Fact]
    public void The_rendered_sandbox_Pod_counts_the_code_and_the_collector()
    {
        var options = new SandboxOptions();
        var pod = SandboxRenderer.Pod(TestObjects.Request(options: options), options);

        var limits = PodResources.LimitsOf(pod);

        var code = pod.Spec.Containers.Single().Resources.Limits;
        var collector = pod.Spec.InitContainers.Single(c => c.Name == SandboxRenderer.CollectorContainerName).Resources.Limits;
        Assert.Equal(code["cpu"].ToDecimal() + collector["cpu"].ToDecimal(), limits.Cpu);
        Assert.Equal(code["memory"].ToDecimal() + collector["memory"].ToDecimal(), limits.Memory);
    }

    [Fact]
    public void Waiting_executions_are_ordered_oldest_first_and_started_or_final_ones_do_not_wait()
    {
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var started = Execution("started", t0);
        started.Status = new CodeExecutionStatus { Phase = ExecutionPhase.Running, PodUid = "p" };
        var done = Execution("done", t0);
        done.Status = new CodeExecutionStatus { Phase = ExecutionPhase.Succeeded };
        var all = new[] { Execution("c", t0.AddSeconds(2)), Execution("b", t0.AddSeconds(1)), Execution("a", t0.AddSeconds(1)), started, done };

        Assert.Equal(["a", "b", "c"], NamespaceQueue.WaitingInOrder(all).Select(e => e.Metadata.Name));
        Assert.Equal(new ObjectKey("team-a", "a"), NamespaceQueue.Head(all));
        Assert.Equal(2, NamespaceQueue.OlderWaiting(all[0], all));
        Assert.Equal(0, NamespaceQueue.OlderWaiting(all[2], all));
    }

    private static CodeExecution Execution(string name, DateTime created)
    {
        var execution = TestObjects.Execution(name);
        execution.Metadata.NamespaceProperty = "team-a";
        execution.Metadata.Uid = "uid-" + name;
        execution.Metadata.CreationTimestamp = created;
        return execution;
    }

    private static V1Container Container(string name, string cpu, string memory, string? restartPolicy = null) => new()
    {
        Name = name,
        RestartPolicy = restartPolicy,
        Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
        },
    };
}
