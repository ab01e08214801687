using System.Text;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.Scripted;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

public sealed class ScriptedPodRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scripted_output_and_exit_code_are_reported_per_container()
    {
        var runner = PodRunners.Scripted();
        runner.ScriptPodNamed("p", ScriptedPod.With(("main", new ScriptedContainer
        {
            Stdout = "hello\n"u8.ToArray(),
            Stderr = "oops\n"u8.ToArray(),
            ExitCode = 3,
        })));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Equal("hello\n", observer.Output("main"));
        Assert.Equal("oops\n", observer.Output("main", OutputStreamKind.Stderr));
        var termination = observer.Termination("main");
        Assert.Equal(3, termination.ExitCode);
        Assert.Equal("Error", termination.Reason);
        Assert.StartsWith("scripted://", termination.ContainerId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unmatched_pod_succeeds_with_Completed()
    {
        var runner = PodRunners.Scripted();
        runner.ScriptPodNamed("other", ScriptedPod.AllContainers(new ScriptedContainer { ExitCode = 1 }));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, Ct);

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        Assert.Equal("Completed", observer.Termination("main").Reason);
    }

    [Fact]
    public async Task Newest_matching_registration_wins_and_labels_match()
    {
        var runner = PodRunners.Scripted();
        runner.Script(_ => true, ScriptedPod.AllContainers(new ScriptedContainer { ExitCode = 1 }));
        runner.ScriptPodsLabelled("app", "x", ScriptedPod.AllContainers(new ScriptedContainer { ExitCode = 7 }));
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "x" };
        var observer = new RecordingObserver();

        await runner.RunAsync(new PodRunRequest(pod), observer, Ct);

        Assert.Equal(7, observer.Termination("main").ExitCode);
    }

    [Fact]
    public async Task Native_sidecar_starts_first_and_prints_its_record_when_stopped_after_the_code()
    {
        var runner = PodRunners.Scripted();
        var (pod, code) = TestPods.Sandbox("cx", "main.py", "print(1)", ["python3"]);
        runner.ScriptPodNamed(pod.Metadata.Name, ScriptedPod.With(
            ("collector", ScriptedContainer.Sidecar("RECORD stdout=2\n1\n"u8.ToArray())),
            ("code", new ScriptedContainer { ExitCode = 0 })));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [code], []), observer, Ct);

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        Assert.True(observer.IndexOf("collector started") < observer.IndexOf("code started"));
        Assert.True(observer.IndexOf("code terminated 0 Completed") < observer.IndexOf("collector terminated 0 Completed"));
        Assert.Equal("RECORD stdout=2\n1\n", observer.Output("collector"));
    }

    [Fact]
    public async Task Pod_phase_follows_regular_containers_not_the_sidecar()
    {
        var runner = PodRunners.Scripted();
        var (pod, code) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);
        runner.ScriptPodNamed(pod.Metadata.Name, ScriptedPod.With(
            ("collector", ScriptedContainer.Sidecar() with { ExitCodeOnTermination = 143 }),
            ("code", ScriptedContainer.Succeeds)));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [code], []), observer, Ct);

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        Assert.Equal(143, observer.Termination("collector").ExitCode);
    }

    [Fact]
    public async Task Oom_kill_reports_137_and_OOMKilled()
    {
        var runner = PodRunners.Scripted();
        runner.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { OomKilled = true }));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Equal(137, observer.Termination("main").ExitCode);
        Assert.Equal("OOMKilled", observer.Termination("main").Reason);
    }

    [Fact]
    public async Task Duration_runs_on_the_kubelet_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var runner = PodRunners.Scripted(new PodRunnerOptions { Time = time });
        runner.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { Duration = TimeSpan.FromSeconds(30) }));
        var observer = new RecordingObserver();

        var run = runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, Ct);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var outcome = await run;

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        var termination = observer.Termination("main");
        Assert.Equal(TimeSpan.FromSeconds(30), termination.FinishedAt - termination.StartedAt);
    }

    [Fact]
    public async Task Stopping_a_hanging_container_terminates_it_with_143()
    {
        var runner = PodRunners.Scripted();
        runner.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { RunsUntilStopped = true }));
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var run = runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, stop.Token);
        await stop.CancelAsync();
        var outcome = await run;

        Assert.Equal(PodRunEnd.Stopped, outcome.End);
        Assert.Equal(143, observer.Termination("main").ExitCode);
    }

    [Fact]
    public async Task A_container_ignoring_SIGTERM_is_killed_after_the_grace_period()
    {
        var time = new FakeTimeProvider();
        var runner = PodRunners.Scripted(new PodRunnerOptions { Time = time });
        runner.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { RunsUntilStopped = true, IgnoresTermination = true }));
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Spec.TerminationGracePeriodSeconds = 5;

        var run = runner.RunAsync(new PodRunRequest(pod), observer, stop.Token);
        var stoppedAt = time.GetUtcNow();
        await stop.CancelAsync();
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(5, Ct);
        }

        var outcome = await run;

        Assert.Equal(PodRunEnd.Stopped, outcome.End);
        Assert.True(observer.Termination("main").FinishedAt - stoppedAt >= TimeSpan.FromSeconds(5), "killed before the grace period ended");
        Assert.Equal(137, observer.Termination("main").ExitCode);
    }

    [Fact]
    public async Task Image_pull_failure_leaves_the_container_waiting_until_stopped()
    {
        var runner = PodRunners.Scripted(new PodRunnerOptions { UnpullableImages = new HashSet<string> { "bad:1" } });
        var container = TestPods.Container("main", "x");
        container.Image = "bad:1";
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var run = runner.RunAsync(new PodRunRequest(TestPods.Simple("p", container)), observer, stop.Token);
        await WaitUntilAsync(() => observer.IndexOf("main waiting ImagePullBackOff") >= 0);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();

        Assert.Equal(PodRunEnd.Stopped, (await run).End);
        Assert.True(observer.IndexOf("main waiting ErrImagePull") >= 0);
        Assert.Equal(-1, observer.IndexOf("main started"));
    }

    [Fact]
    public async Task Scripted_pull_failure_flag_fails_the_pull()
    {
        var runner = PodRunners.Scripted();
        runner.ScriptPodNamed("p", ScriptedPod.AllContainers(new ScriptedContainer { ImagePullFails = true }));
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var run = runner.RunAsync(new PodRunRequest(TestPods.Simple("p", TestPods.Container("main", "x"))), observer, stop.Token);
        await WaitUntilAsync(() => observer.IndexOf("main waiting ImagePullBackOff") >= 0);
        await stop.CancelAsync();

        Assert.Equal(PodRunEnd.Stopped, (await run).End);
    }

    [Fact]
    public async Task Failing_init_container_fails_the_pod_before_the_regular_containers()
    {
        var runner = PodRunners.Scripted();
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Spec.InitContainers = [TestPods.Container("setup", "x")];
        runner.ScriptPodNamed("p", ScriptedPod.With(("setup", new ScriptedContainer { ExitCode = 2 })));
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Contains("setup", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(-1, observer.IndexOf("main started"));
    }

    [Fact]
    public async Task Restart_policy_other_than_Never_is_refused_with_a_message()
    {
        var runner = PodRunners.Scripted();
        var pod = TestPods.Simple("p", TestPods.Container("main", "x"));
        pod.Spec.RestartPolicy = "OnFailure";

        var outcome = await runner.RunAsync(new PodRunRequest(pod), new RecordingObserver(), Ct);

        Assert.Equal(PodRunEnd.Unsupported, outcome.End);
        Assert.Contains("restartPolicy", outcome.Message, StringComparison.Ordinal);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    internal static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
