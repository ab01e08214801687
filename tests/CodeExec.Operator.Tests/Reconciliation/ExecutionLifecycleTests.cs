using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Tests.Controller.Integration;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The operator end to end against the emulator and the simulated kubelet: each test applies a CodeExecution, scripts
/// what its sandbox Pod does, and checks the status the real operator host writes from what it observed.
/// </summary>
public sealed class ExecutionLifecycleTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Hello_world_succeeds_with_its_stdout_and_the_sandbox_is_cleaned_up()
    {
        _cluster.ScriptSandbox("hello", new ScriptedContainer { ExitCode = 0, Duration = TimeSpan.FromMilliseconds(100) }, "hello, world\n");
        await _cluster.CreateExecutionAsync("hello", code: "print('hello, world')");

        var done = await _cluster.WaitForFinalAsync("hello");

        var status = done.Status!;
        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(ExecutionReason.Completed, status.Reason);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("hello, world\n", status.Stdout);
        Assert.Equal("", status.Stderr);
        Assert.Equal(13, status.StdoutBytes);
        Assert.False(status.StdoutTruncated);
        var (podName, codeName, policyName) = await _cluster.ChildNamesAsync("hello");
        Assert.Equal(podName, status.PodName);
        Assert.StartsWith("hello-" + done.Metadata.Uid[..8], podName, StringComparison.Ordinal);
        Assert.NotNull(status.PodUid);
        Assert.Equal("python:3.12-slim", status.Image);
        Assert.Equal(SandboxCluster.Runtime, status.Runtime);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("print('hello, world')"))), status.CodeSha256);
        Assert.NotNull(status.StartTime);
        Assert.NotNull(status.CompletionTime);
        Assert.True(status.DurationMs >= 0);
        Assert.Equal(done.Metadata.Generation, status.ObservedGeneration);
        Assert.Contains(status.Conditions!, c => c is { Type: "Finished", Status: "True" });

        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(podName) is null, "the sandbox Pod is deleted");
        var token = TestContext.Current.CancellationToken;
        await EmulatedCluster.EventuallyAsync(async () => !(await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Any(c => c.Metadata.Name == codeName), "the code ConfigMap is deleted");
        await EmulatedCluster.EventuallyAsync(async () => !(await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Any(p => p.Metadata.Name == policyName), "the NetworkPolicy is deleted (after the Pod)");

        var events = (await _cluster.Client.CoreV1.ListNamespacedEventAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Where(e => e.InvolvedObject.Kind == ApiConstants.CodeExecutionKind && e.InvolvedObject.Name == "hello")
            .ToList();
        Assert.Equal(["Created", "Started", "Succeeded"], events.Select(e => e.Reason).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal(done.Metadata.Uid, e.InvolvedObject.Uid));
    }

    [Fact]
    public async Task A_nonzero_exit_fails_with_the_exit_code_and_both_streams()
    {
        _cluster.ScriptSandbox("broken", new ScriptedContainer { ExitCode = 3 }, "partial\n", "Traceback: boom\n");
        await _cluster.CreateExecutionAsync("broken");

        var status = (await _cluster.WaitForFinalAsync("broken")).Status!;

        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(ExecutionReason.Error, status.Reason);
        Assert.Equal(3, status.ExitCode);
        Assert.Equal("partial\n", status.Stdout);
        Assert.Equal("Traceback: boom\n", status.Stderr);
        Assert.Contains("exited with code 3", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_that_runs_past_its_timeout_is_stopped_and_timed_out_keeping_its_output()
    {
        // What codeexec-init does at the timeout: the container ends 124 once the timeout has run out since its start.
        _cluster.ScriptSandbox("forever", new ScriptedContainer { ExitCode = 124, Duration = TimeSpan.FromSeconds(1) }, "tick\ntick\n");
        await _cluster.CreateExecutionAsync("forever", spec => spec.Limits = new ExecutionLimits { TimeoutSeconds = 1 });

        var status = (await _cluster.WaitForFinalAsync("forever")).Status!;

        Assert.Equal(ExecutionPhase.TimedOut, status.Phase);
        Assert.Equal(ExecutionReason.DeadlineExceeded, status.Reason);
        Assert.Equal("tick\ntick\n", status.Stdout);
    }

    [Fact]
    public async Task Code_killed_for_memory_fails_with_OOMKilled()
    {
        _cluster.ScriptSandbox("hog", new ScriptedContainer { OomKilled = true, ExitCode = 137 });
        await _cluster.CreateExecutionAsync("hog", spec => spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity("64Mi") });

        var status = (await _cluster.WaitForFinalAsync("hog")).Status!;

        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(ExecutionReason.OOMKilled, status.Reason);
        Assert.Equal(137, status.ExitCode);
        Assert.Contains("64Mi", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_flood_is_cut_to_head_and_tail_with_the_true_byte_count()
    {
        var flood = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"line {i}\n")));
        _cluster.ScriptSandbox("flood", new ScriptedContainer(), flood, [], limitBytes: 2048);
        await _cluster.CreateExecutionAsync("flood", spec => spec.Limits = new ExecutionLimits { OutputBytes = 2048 });

        var done = await _cluster.WaitForFinalAsync("flood");
        var status = done.Status!;

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.True(status.StdoutTruncated);
        Assert.Equal(flood.Length, status.StdoutBytes);
        Assert.StartsWith("line 0\nline 1\n", status.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("line 99999\n", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("omitted", status.Stdout, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(status.Stdout!) < 2048 + 200);
    }

    [Fact]
    public async Task Output_that_is_not_UTF8_comes_back_base64_encoded_byte_for_byte()
    {
        byte[] binary = [0xff, 0xfe, 0x00, (byte)'a', 0xc3, 0x28];
        _cluster.ScriptSandbox("binary", new ScriptedContainer(), binary, []);
        await _cluster.CreateExecutionAsync("binary");

        var status = (await _cluster.WaitForFinalAsync("binary")).Status!;

        Assert.Equal("base64", status.StdoutEncoding);
        Assert.Equal(binary, Convert.FromBase64String(status.Stdout!));
        Assert.Equal(binary.Length, status.StdoutBytes);
    }

    [Fact]
    public async Task An_unknown_runtime_is_rejected_and_nothing_is_created()
    {
        await _cluster.CreateExecutionAsync("nowhere", spec => spec.Runtime = "cobol");

        var status = (await _cluster.WaitForFinalAsync("nowhere")).Status!;

        Assert.Equal(ExecutionPhase.Rejected, status.Phase);
        Assert.Contains("CodeRuntime \"cobol\" not found", status.Message, StringComparison.Ordinal);
        Assert.Null(await _cluster.GetPodAsync(await _cluster.PodNameAsync("nowhere")));
        var token = TestContext.Current.CancellationToken;
        Assert.Empty((await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: token)).Items);
        Assert.DoesNotContain((await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: token)).Items,
            c => c.Metadata.Name.StartsWith("nowhere", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Limits_over_the_runtime_maxima_are_rejected_naming_each_one()
    {
        await _cluster.CreateExecutionAsync("greedy", spec => spec.Limits = new ExecutionLimits
        {
            Memory = new ResourceQuantity("8Gi"),
            TimeoutSeconds = 3600,
        });

        var status = (await _cluster.WaitForFinalAsync("greedy")).Status!;

        Assert.Equal(ExecutionPhase.Rejected, status.Phase);
        Assert.Contains("memory", status.Message, StringComparison.Ordinal);
        Assert.Contains("8Gi", status.Message, StringComparison.Ordinal);
        Assert.Contains("timeoutSeconds", status.Message, StringComparison.Ordinal);
        Assert.Null(await _cluster.GetPodAsync(await _cluster.PodNameAsync("greedy")));
    }

    [Fact]
    public async Task A_sandbox_Pod_deleted_by_someone_else_fails_the_execution()
    {
        _cluster.ScriptSandbox("victim", new ScriptedContainer { RunsUntilStopped = true });
        await _cluster.CreateExecutionAsync("victim");
        await _cluster.WaitForPhaseAsync("victim", ExecutionPhase.Running);

        await _cluster.Client.CoreV1.DeleteNamespacedPodAsync(await _cluster.PodNameAsync("victim"), SandboxCluster.Namespace,
            cancellationToken: TestContext.Current.CancellationToken);

        var status = (await _cluster.WaitForFinalAsync("victim")).Status!;
        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(ExecutionReason.PodDeleted, status.Reason);
    }

    [Fact]
    public async Task A_runtime_whose_RuntimeClass_no_node_has_fails_as_unschedulable()
    {
        // The RuntimeClass exists (admission passes) but selects nodes with Kata installed, and this cluster has none.
        await _cluster.Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass
        {
            Metadata = new V1ObjectMeta { Name = "kata" },
            Handler = "kata",
            Scheduling = new V1Scheduling { NodeSelector = new Dictionary<string, string> { ["katacontainers.io/kata-runtime"] = "true" } },
        }, cancellationToken: TestContext.Current.CancellationToken);
        await _cluster.CreateRuntimeAsync("kata", spec => spec.RuntimeClassName = "kata");
        await _cluster.CreateExecutionAsync("stuck", spec => spec.Runtime = "kata");

        var status = (await _cluster.WaitForFinalAsync("stuck")).Status!;

        Assert.Equal(ExecutionPhase.Failed, status.Phase);
        Assert.Equal(ExecutionReason.Unschedulable, status.Reason);
    }

    [Fact]
    public async Task The_execution_is_deleted_after_its_ttl_with_its_children()
    {
        _cluster.ScriptSandbox("short-lived", new ScriptedContainer(), "bye\n");
        await _cluster.CreateExecutionAsync("short-lived", spec => spec.TtlSecondsAfterFinished = 1);
        await _cluster.WaitForFinalAsync("short-lived");
        var podName = await _cluster.PodNameAsync("short-lived");

        await _cluster.WaitForAsync("short-lived", e => e is null, what: "deletion after the TTL");
        Assert.Null(await _cluster.GetPodAsync(podName));
    }

    [Fact]
    public async Task The_NetworkPolicy_exists_before_the_Pod_is_created()
    {
        using var recorder = await ObjectRecorder.StartAsync(_cluster.Client, SandboxCluster.Namespace);
        _cluster.ScriptSandbox("ordered", new ScriptedContainer(), "ok\n");
        await _cluster.CreateExecutionAsync("ordered");
        await _cluster.WaitForFinalAsync("ordered");
        var (podName, _, policyName) = await _cluster.ChildNamesAsync("ordered");

        var added = recorder.Events.Where(e => e.Type == k8s.WatchEventType.Added).ToList();
        var policy = Assert.Single(added, e => e.Kind == "NetworkPolicy" && e.Name == policyName);
        var pod = Assert.Single(added, e => e.Kind == "Pod" && e.Name == podName);
        Assert.True(policy.ResourceVersion < pod.ResourceVersion, $"policy at {policy.ResourceVersion}, pod at {pod.ResourceVersion}");
    }

    [Fact]
    public async Task Conflicts_on_status_writes_are_retried_without_losing_the_result()
    {
        _cluster.Emulator.Faults.FailRequests("PUT", "codeexecutions/status", 409, times: 4);
        _cluster.ScriptSandbox("contested", new ScriptedContainer { ExitCode = 0 }, "kept\n");
        await _cluster.CreateExecutionAsync("contested");

        var status = (await _cluster.WaitForFinalAsync("contested")).Status!;

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal("kept\n", status.Stdout);
        Assert.True(_cluster.Emulator.Faults.InjectedFailures >= 4);
    }

    [Fact]
    public async Task The_finding_6_output_with_a_padded_spec_is_stored_within_the_api_servers_limits()
    {
        // Security review finding 6: 256 KiB of '<' and of \x01, and a spec padded with '<' (six bytes each once stored).
        // The emulator refuses what kube-apiserver and etcd refuse (3 MiB bodies, 1.5 MiB objects as Go stores them).
        await _cluster.CreateRuntimeAsync("big-output", spec => spec.MaxLimits!.OutputBytes = 262144);
        _cluster.ScriptSandbox("bloat", new ScriptedContainer { ExitCode = 0 },
            Enumerable.Repeat((byte)'<', 262144).ToArray(), Enumerable.Repeat((byte)1, 262144).ToArray(), limitBytes: 262144);
        await _cluster.CreateExecutionAsync("bloat", spec =>
        {
            spec.Runtime = "big-output";
            spec.Limits = new ExecutionLimits { OutputBytes = 262144 };
        }, code: "# " + new string('<', 120_000));

        var status = (await _cluster.WaitForFinalAsync("bloat")).Status!;

        Assert.Equal((ExecutionPhase.Succeeded, 262144L, 262144L), (status.Phase, status.StdoutBytes, status.StderrBytes));
        Assert.Equal(("base64", "base64", true, true), (status.StdoutEncoding, status.StderrEncoding, status.StdoutTruncated, status.StderrTruncated));
        Assert.StartsWith("<<<<", Encoding.ASCII.GetString(Convert.FromBase64String(status.Stdout!)), StringComparison.Ordinal);
        Assert.Contains("stdout cut further to keep the CodeExecution under its size limit", status.Message, StringComparison.Ordinal);
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(status.PodName!) is null, "the sandbox Pod is deleted");
    }

    [Fact]
    public async Task A_final_status_refused_as_too_large_is_written_without_output_and_the_sandbox_is_cleaned_up()
    {
        _cluster.ScriptSandbox("refused", new ScriptedContainer { ExitCode = 3, Duration = TimeSpan.FromSeconds(2) }, "some output\n", "oops\n");
        await _cluster.CreateExecutionAsync("refused");
        await _cluster.WaitForPhaseAsync("refused", ExecutionPhase.Running);
        var (podName, codeName, policyName) = await _cluster.ChildNamesAsync("refused");
        // The next status write is the final one: the API server refuses it as kube-apiserver refuses a body over 3 MiB.
        _cluster.Emulator.Faults.FailRequests("PUT", "codeexecutions/status", 413, times: 1,
            message: "Request entity too large: limit is 3145728", reason: "RequestEntityTooLarge");

        var status = (await _cluster.WaitForFinalAsync("refused")).Status!;

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 3), (status.Phase, status.Reason, status.ExitCode));
        Assert.Null(status.Stdout);
        Assert.Null(status.Stderr);
        Assert.Equal((12L, 5L), (status.StdoutBytes, status.StderrBytes));
        Assert.Contains("the output could not be stored in status: the API server refused it (413 ", status.Message, StringComparison.Ordinal);
        Assert.Contains("Request entity too large: limit is 3145728", status.Message, StringComparison.Ordinal);
        Assert.Equal(1, _cluster.Emulator.Faults.InjectedFailures);
        var token = TestContext.Current.CancellationToken;
        await EmulatedCluster.EventuallyAsync(async () => await _cluster.GetPodAsync(podName) is null, "the sandbox Pod is deleted");
        await EmulatedCluster.EventuallyAsync(async () => !(await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Any(c => c.Metadata.Name == codeName), "the code ConfigMap is deleted");
        await EmulatedCluster.EventuallyAsync(async () => !(await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Any(p => p.Metadata.Name == policyName), "the NetworkPolicy is deleted");
    }

    [Fact]
    public async Task An_execution_that_can_hold_no_result_is_deleted_after_its_sandbox_and_the_event_keeps_the_result()
    {
        _cluster.ScriptSandbox("unwritable", new ScriptedContainer { ExitCode = 0, Duration = TimeSpan.FromSeconds(2) }, "out\n");
        await _cluster.CreateExecutionAsync("unwritable");
        await _cluster.WaitForPhaseAsync("unwritable", ExecutionPhase.Running);
        var (podName, codeName, policyName) = await _cluster.ChildNamesAsync("unwritable");
        var uid = (await _cluster.GetExecutionAsync("unwritable"))!.Metadata.Uid;
        // Every status write from now on is refused as etcd refuses an object at its limit: the final one and the fallback.
        _cluster.Emulator.Faults.FailRequests("PUT", "codeexecutions/status", 500, message: "etcdserver: request is too large");

        await _cluster.WaitForAsync("unwritable", e => e is null, TimeSpan.FromSeconds(30), "the CodeExecution is deleted");

        var token = TestContext.Current.CancellationToken;
        Assert.Null(await _cluster.GetPodAsync(podName));
        Assert.DoesNotContain((await _cluster.Client.CoreV1.ListNamespacedConfigMapAsync(SandboxCluster.Namespace, cancellationToken: token)).Items, c => c.Metadata.Name == codeName);
        Assert.DoesNotContain((await _cluster.Client.NetworkingV1.ListNamespacedNetworkPolicyAsync(SandboxCluster.Namespace, cancellationToken: token)).Items, p => p.Metadata.Name == policyName);
        var events = (await _cluster.Client.CoreV1.ListNamespacedEventAsync(SandboxCluster.Namespace, cancellationToken: token)).Items
            .Where(e => e.InvolvedObject.Uid == uid && e.Type == "Warning").ToList();
        Assert.Contains(events, e => e.Message.Contains("the code exited with code 0", StringComparison.Ordinal)
            && e.Message.Contains("no result can be stored in this CodeExecution (500 ", StringComparison.Ordinal));
        _cluster.Emulator.Faults.Reset();
    }

    [Fact]
    public async Task A_failing_read_of_the_collector_log_is_retried_and_the_output_is_not_lost()
    {
        _cluster.Emulator.Faults.FailRequests("GET", "pods/log", 500, times: 3);
        _cluster.ScriptSandbox("log-flaky", new ScriptedContainer(), "still here\n");
        await _cluster.CreateExecutionAsync("log-flaky");

        var status = (await _cluster.WaitForFinalAsync("log-flaky")).Status!;

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal("still here\n", status.Stdout);
        Assert.Equal(3, _cluster.Emulator.Faults.InjectedFailures);
    }

    [Fact]
    public async Task Bursts_of_500_and_429_answers_delay_but_do_not_break_executions()
    {
        using var recorder = await ObjectRecorder.StartAsync(_cluster.Client, SandboxCluster.Namespace);
        var names = new[] { "burst-a", "burst-b", "burst-c" };
        foreach (var name in names)
        {
            _cluster.ScriptSandbox(name, new ScriptedContainer { Duration = TimeSpan.FromMilliseconds(300) }, name + "\n");
        }

        _cluster.Emulator.Faults.FailRandomly(0.25, 500, seed: 7);
        foreach (var name in names)
        {
            await CreateIgnoringInjectedFailuresAsync(name);
        }

        await Task.Delay(500, TestContext.Current.CancellationToken);
        _cluster.Emulator.Faults.FailRandomly(0.25, 429, seed: 8, retryAfter: TimeSpan.FromSeconds(1));
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        _cluster.Emulator.Faults.Reset();

        foreach (var name in names)
        {
            var status = (await _cluster.WaitForFinalAsync(name, TimeSpan.FromSeconds(60))).Status!;
            Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
            Assert.Equal(name + "\n", status.Stdout);
            Assert.Single(recorder.PodsCreated(await _cluster.PodNameAsync(name)));
        }

        Assert.True(_cluster.Emulator.Faults.InjectedFailures > 0);
    }

    [Fact]
    public async Task Dropped_watches_and_410_Gone_do_not_stop_the_operator_from_seeing_new_work()
    {
        _cluster.ScriptSandbox("before", new ScriptedContainer { Duration = TimeSpan.FromMilliseconds(800) }, "1\n");
        await _cluster.CreateExecutionAsync("before");
        await _cluster.WaitForPhaseAsync("before", ExecutionPhase.Running);

        _cluster.Emulator.Faults.CompactHistory();
        _cluster.Emulator.Faults.CloseAllWatches();

        Assert.Equal(ExecutionPhase.Succeeded, (await _cluster.WaitForFinalAsync("before")).Status!.Phase);

        // Only a working watch tells the operator about an object created now.
        _cluster.ScriptSandbox("after", new ScriptedContainer(), "2\n");
        await _cluster.CreateExecutionAsync("after");
        var after = (await _cluster.WaitForFinalAsync("after")).Status!;
        Assert.Equal(ExecutionPhase.Succeeded, after.Phase);
        Assert.Equal("2\n", after.Stdout);
    }

    private async Task CreateIgnoringInjectedFailuresAsync(string name)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _cluster.CreateExecutionAsync(name);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode is 500 or 429 && attempt < 20)
            {
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return; // an earlier attempt went through before its answer was replaced by the injected failure
            }
        }
    }
}
