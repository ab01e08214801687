using System.Text;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Emulator.Admission;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>The scheduler and kubelet against the API emulator, over HTTP, in each mode.</summary>
public sealed class SimulatedNodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scripted_pod_goes_Pending_Running_Succeeded_with_realistic_status_and_log()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        cluster.Scripted.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer
        {
            Stdout = "out\n"u8.ToArray(),
            Stderr = "err\n"u8.ToArray(),
            Duration = TimeSpan.FromMilliseconds(300),
        }));
        var phases = cluster.RecordPhases("p");

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("p", TestPods.Container("main", "x")), "default", cancellationToken: Ct);
        var pod = await cluster.WaitForAsync("p", p => p.Status?.Phase == "Succeeded");

        Assert.Equal("node-1", pod.Spec.NodeName);
        Assert.NotNull(pod.Status.StartTime);
        var status = Assert.Single(pod.Status.ContainerStatuses);
        Assert.Equal(0, status.State.Terminated.ExitCode);
        Assert.Equal("Completed", status.State.Terminated.Reason);
        Assert.StartsWith("scripted://", status.ContainerID, StringComparison.Ordinal);
        Assert.True(status.State.Terminated.FinishedAt >= status.State.Terminated.StartedAt);
        Assert.False(status.Ready);
        Assert.Equal("debian:bookworm", status.Image);
        Assert.Contains(pod.Status.Conditions, c => c is { Type: "PodScheduled", Status: "True" });
        Assert.Contains(pod.Status.Conditions, c => c is { Type: "Ready", Status: "False", Reason: "PodCompleted" });
        Assert.Equal("out\nerr\n", await cluster.LogAsync("p"));
        Assert.Equal(["Pending", "Running", "Succeeded"], phases.Distinct());
    }

    [Fact]
    public async Task Sandbox_pod_phase_follows_the_code_and_the_collector_log_holds_the_record()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        var (pod, code) = TestPods.Sandbox("cx", "main.py", "print(1)", ["python3"]);
        cluster.Scripted.ScriptPodNamed(pod.Metadata.Name, ScriptedPod.With(
            ("collector", ScriptedContainer.Sidecar("FRAME 2 0\n1\n"u8.ToArray())),
            ("code", new ScriptedContainer { ExitCode = 3 })));

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(code, "default", cancellationToken: Ct);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var done = await cluster.WaitForAsync(pod.Metadata.Name, p => p.Status?.Phase is "Succeeded" or "Failed");

        Assert.Equal("Failed", done.Status.Phase);
        Assert.Equal(3, done.Status.ContainerStatuses.Single().State.Terminated.ExitCode);
        Assert.Equal("Error", done.Status.ContainerStatuses.Single().State.Terminated.Reason);
        var collector = done.Status.InitContainerStatuses.Single();
        Assert.Equal("collector", collector.Name);
        Assert.Equal(0, collector.State.Terminated.ExitCode);
        Assert.True(collector.State.Terminated.StartedAt <= done.Status.ContainerStatuses.Single().State.Terminated.StartedAt);
        Assert.Equal("FRAME 2 0\n1\n", await cluster.LogAsync(pod.Metadata.Name, "collector"));
    }

    [Fact]
    public async Task Pod_naming_a_missing_RuntimeClass_stays_Pending_Unschedulable_until_it_exists()
    {
        // On a cluster this happens when the RuntimeClass is deleted after the pod was admitted; RuntimeClass admission
        // (which refuses such a pod at create) is off so the pod can exist without its class.
        var options = new EmulatorOptions { LoadRepositoryCrds = false, DisabledAdmissionPlugins = { AdmissionPlugins.RuntimeClass } };
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted(), options);
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Spec.RuntimeClassName = "gvisor";

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var pending = await cluster.WaitForAsync("p", p => p.Status?.Conditions?.Any(c => c.Type == "PodScheduled") == true);

        Assert.Equal("Pending", pending.Status.Phase);
        Assert.Null(pending.Spec.NodeName);
        var condition = pending.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.Equal(("False", "Unschedulable"), (condition.Status, condition.Reason));
        Assert.Contains("gvisor", condition.Message, StringComparison.Ordinal);

        await cluster.Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "gvisor" }, Handler = "runsc" }, cancellationToken: Ct);
        var ran = await cluster.WaitForAsync("p", p => p.Status?.Phase == "Succeeded");
        Assert.Equal("node-1", ran.Spec.NodeName);
    }

    [Fact]
    public async Task Gated_pod_stays_Pending_SchedulingGated()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Spec.SchedulingGates = [new V1PodSchedulingGate { Name = "example.com/quota" }];

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var gated = await cluster.WaitForAsync("p", p => p.Status?.Conditions?.Any(c => c.Type == "PodScheduled") == true);
        Assert.Equal("SchedulingGated", gated.Status.Conditions.Single(c => c.Type == "PodScheduled").Reason);
        Assert.Null(gated.Spec.NodeName);
        Assert.Equal("Pending", gated.Status.Phase);
    }

    [Fact]
    public async Task Active_deadline_ends_the_pod_Failed_DeadlineExceeded_and_the_collector_still_prints()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        var (pod, code) = TestPods.Sandbox("slow", "main.py", "", ["python3"]);
        pod.Spec.ActiveDeadlineSeconds = 1;
        cluster.Scripted.ScriptPodNamed(pod.Metadata.Name, ScriptedPod.With(
            ("collector", ScriptedContainer.Sidecar("partial\n"u8.ToArray())),
            ("code", new ScriptedContainer { RunsUntilStopped = true })));

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(code, "default", cancellationToken: Ct);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var done = await cluster.WaitForAsync(pod.Metadata.Name, p => p.Status?.Phase == "Failed");

        Assert.Equal("DeadlineExceeded", done.Status.Reason);
        Assert.Equal(143, done.Status.ContainerStatuses.Single().State.Terminated.ExitCode);
        Assert.Equal("partial\n", await cluster.LogAsync(pod.Metadata.Name, "collector"));
    }

    [Fact]
    public async Task Unpullable_image_leaves_the_container_waiting_in_ImagePullBackOff()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted(new PodRunnerOptions { UnpullableImages = new HashSet<string> { "nope:1" } }));
        var container = TestPods.Container("main", "x");
        container.Image = "nope:1";

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("p", container), "default", cancellationToken: Ct);
        var pod = await cluster.WaitForAsync("p", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason == "ImagePullBackOff");

        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Contains("nope:1", pod.Status.ContainerStatuses.Single().State.Waiting.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eviction_ends_the_pod_Failed_Evicted()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        cluster.Scripted.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { RunsUntilStopped = true }));

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("p", TestPods.Container("main", "x")), "default", cancellationToken: Ct);
        await cluster.WaitForAsync("p", p => p.Status?.Phase == "Running");
        Assert.True(await cluster.Node.Kubelet.EvictAsync("default", "p"));
        var pod = await cluster.WaitForAsync("p", p => p.Status?.Phase == "Failed");

        Assert.Equal("Evicted", pod.Status.Reason);
        Assert.Contains(pod.Status.Conditions, c => c is { Type: "DisruptionTarget", Status: "True" });
        Assert.False(await cluster.Node.Kubelet.EvictAsync("default", "absent"));
    }

    [Fact]
    public async Task Graceful_deletion_kills_the_containers_then_the_kubelet_removes_the_pod()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted(), new EmulatorOptions { GracefulPodDeletion = true, LoadRepositoryCrds = false });
        cluster.Scripted.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { RunsUntilStopped = true }));

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("p", TestPods.Container("main", "x")), "default", cancellationToken: Ct);
        await cluster.WaitForAsync("p", p => p.Status?.Phase == "Running");
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("p", "default", cancellationToken: Ct);

        await cluster.WaitForGoneAsync("p");
        await ScriptedPodRunnerTests.WaitUntilAsync(() => cluster.Node.Kubelet.RunningPods == 0);
    }

    [Fact]
    public async Task Deleting_a_running_pod_kills_its_process()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Process());

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("p", TestPods.Container("main", "/bin/sh", "-c", "echo $$$$; exec sleep 600")), "default", cancellationToken: Ct);
        await cluster.WaitForAsync("p", p => p.Status?.Phase == "Running");
        var log = "";
        await ScriptedPodRunnerTests.WaitUntilAsync(() => (log = cluster.Logs.Read("default", "p", "main").Length > 0 ? Encoding.UTF8.GetString(cluster.Logs.Read("default", "p", "main")) : "").EndsWith('\n'));
        var pid = int.Parse(log.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{pid}"));

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("p", "default", cancellationToken: Ct);

        await ScriptedPodRunnerTests.WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}") && cluster.Node.Kubelet.RunningPods == 0);
    }

    [Fact]
    public async Task Missing_ConfigMap_keeps_the_pod_ContainerCreating_until_it_appears()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Scripted());
        var (pod, code) = TestPods.Sandbox("late", "main.py", "", ["python3"]);

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var waiting = await cluster.WaitForAsync(pod.Metadata.Name, p => p.Status?.ContainerStatuses is not null);
        Assert.Equal("Pending", waiting.Status.Phase);
        Assert.Equal("ContainerCreating", waiting.Status.ContainerStatuses.Single().State.Waiting.Reason);

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(code, "default", cancellationToken: Ct);
        await cluster.WaitForAsync(pod.Metadata.Name, p => p.Status?.Phase == "Succeeded");
    }

    [Fact]
    public async Task Process_mode_sandbox_pod_output_reaches_the_log_endpoint()
    {
        await using var cluster = await Cluster.StartAsync(PodRunners.Process());
        var (pod, code) = TestPods.Sandbox("sh", "main.sh", "echo \"args: $*\"; pwd; echo oops >&2", ["/bin/sh"]);

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(code, "default", cancellationToken: Ct);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
        var done = await cluster.WaitForAsync(pod.Metadata.Name, p => p.Status?.Phase is "Succeeded" or "Failed");

        Assert.Equal("Succeeded", done.Status.Phase);
        Assert.StartsWith("process://", done.Status.ContainerStatuses.Single().ContainerID, StringComparison.Ordinal);
        var lines = (await cluster.LogAsync(pod.Metadata.Name, "collector")).Split('\n');
        Assert.Equal("== stdout", lines[0]);
        Assert.Equal("args: ", lines[1]);
        Assert.EndsWith("/volumes/code", lines[2], StringComparison.Ordinal);
        Assert.Equal(["== stderr", "oops", ""], lines[3..]);
    }

    [Fact]
    public async Task GVisor_mode_python_output_reaches_the_log_endpoint_and_the_kernel_is_gVisors()
    {
        var gvisor = new GVisorOptions();
        if (!gvisor.CanRun(out var reason))
        {
            Assert.Skip(reason);
        }

        await using var cluster = await Cluster.StartAsync(PodRunners.GVisor(gvisor: gvisor));
        var container = TestPods.Container("main", "/bin/sh", "-c", "python3 -c 'print(\"sum\", sum(range(10)))'; uname -r");
        container.SecurityContext.RunAsUser = 65532;

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(TestPods.Simple("py", container), "default", cancellationToken: Ct);
        var done = await cluster.WaitForAsync("py", p => p.Status?.Phase is "Succeeded" or "Failed");

        Assert.Equal("Succeeded", done.Status.Phase);
        var lines = (await cluster.LogAsync("py")).Split('\n');
        Assert.Equal("sum 45", lines[0]);
        Assert.NotEqual(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), lines[1]);
        Assert.StartsWith("runsc://", done.Status.ContainerStatuses.Single().ContainerID, StringComparison.Ordinal);
    }

    /// <summary>An emulator with a simulated node, and helpers to wait on pods.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly KubernetesEmulator _emulator;
        private readonly List<Action<V1Pod>> _watchers = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _watch = Task.CompletedTask;

        private Cluster(KubernetesEmulator emulator, SimulatedNode node, IPodRunner runner)
        {
            _emulator = emulator;
            Node = node;
            Runner = runner;
            Client = emulator.CreateClient();
        }

        public Kubernetes Client { get; }

        public SimulatedNode Node { get; }

        public IPodRunner Runner { get; }

        public PodLogStore Logs => _emulator.Logs;

        public ScriptedPodRunner Scripted => (ScriptedPodRunner)Runner;

        public static async Task<Cluster> StartAsync(IPodRunner runner, EmulatorOptions? options = null)
        {
            var emulator = await KubernetesEmulator.StartAsync(options ?? new EmulatorOptions { LoadRepositoryCrds = false }, Ct);
            var node = await SimulatedNode.StartAsync(emulator.CreateClient(), emulator.Logs, runner, new KubeletOptions { RetryInterval = TimeSpan.FromMilliseconds(100) });
            var cluster = new Cluster(emulator, node, runner);
            cluster._watch = cluster.WatchAsync();
            return cluster;
        }

        /// <summary>Every phase the pod is seen in by a watch, in order.</summary>
        public List<string> RecordPhases(string name)
        {
            var phases = new List<string>();
            lock (_watchers)
            {
                _watchers.Add(pod =>
                {
                    if (pod.Metadata.Name == name && pod.Status?.Phase is { } phase)
                    {
                        lock (phases)
                        {
                            phases.Add(phase);
                        }
                    }
                });
            }

            return phases;
        }

        public async Task<V1Pod> WaitForAsync(string name, Func<V1Pod, bool> condition)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (true)
            {
                var pod = await Client.CoreV1.ReadNamespacedPodAsync(name, "default", cancellationToken: timeout.Token);
                if (condition(pod))
                {
                    return pod;
                }

                await Task.Delay(25, timeout.Token);
            }
        }

        public async Task WaitForGoneAsync(string name)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while ((await Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "metadata.name=" + name, cancellationToken: timeout.Token)).Items.Count > 0)
            {
                await Task.Delay(25, timeout.Token);
            }
        }

        public async Task<string> LogAsync(string pod, string? container = null)
        {
            using var stream = await Client.CoreV1.ReadNamespacedPodLogAsync(pod, "default", container: container, cancellationToken: Ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(Ct);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _watch;
            await Node.DisposeAsync();
            await _emulator.DisposeAsync();
            Client.Dispose();
            _stop.Dispose();
        }

        private async Task WatchAsync()
        {
            try
            {
                await foreach (var (_, pod) in Client.CoreV1.WatchListNamespacedPodAsync("default", cancellationToken: _stop.Token))
                {
                    lock (_watchers)
                    {
                        foreach (var watcher in _watchers)
                        {
                            watcher(pod);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Test over.
            }
        }
    }
}
