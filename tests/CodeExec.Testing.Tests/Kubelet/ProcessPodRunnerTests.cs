using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.LocalProcess;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

public sealed class ProcessPodRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Rewriter_replaces_whole_mount_paths_only()
    {
        var rewriter = new MountPathRewriter([new("/code", "/h/code"), new("/codeexec/out", "/h/out"), new("/tmp", "/h/tmp")]);

        Assert.Equal("cat /h/code/main.py >/h/out/stdout", rewriter.Rewrite("cat /code/main.py >/codeexec/out/stdout"));
        Assert.Equal("/h/code", rewriter.Rewrite("/code"));
        Assert.Equal("HOME=/h/tmp", rewriter.Rewrite("HOME=/tmp"));
        Assert.Equal("/codex /usr/tmp /tmpfile", rewriter.Rewrite("/codex /usr/tmp /tmpfile"));
    }

    [Fact]
    public async Task Command_runs_with_env_args_workingDir_and_materialised_volumes()
    {
        var runner = PodRunners.Process();
        var container = TestPods.Container("main", "/bin/sh", "-c", "cat /config/greeting; echo \"$WHO $1\"; pwd; echo written > /scratch/file; cat /scratch/file", "sh");
        container.Args = ["$(WHO)-arg"];
        container.Env = [new V1EnvVar { Name = "WHO", Value = "world" }];
        container.WorkingDir = "/config";
        container.VolumeMounts = [TestPods.Mount("config", "/config", readOnly: true), TestPods.Mount("scratch", "/scratch")];
        var pod = TestPods.Simple("p", container);
        pod.Spec.Volumes =
        [
            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = "cm" } },
            TestPods.EmptyDir("scratch"),
        ];
        var configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["greeting"] = "hello\n" } };
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [configMap], []), observer, Ct);

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        var lines = observer.Output("main").Split('\n');
        Assert.Equal("hello", lines[0]);
        Assert.Equal("world world-arg", lines[1]);
        Assert.EndsWith("/volumes/config", lines[2], StringComparison.Ordinal);
        Assert.Equal("written", lines[3]);
        Assert.StartsWith("process://", observer.Termination("main").ContainerId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_code_and_stderr_are_reported()
    {
        var runner = PodRunners.Process();
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(TestPods.Simple("p", TestPods.Container("main", "/bin/sh", "-c", "echo bad >&2; exit 4"))), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Equal("bad\n", observer.Output("main", OutputStreamKind.Stderr));
        Assert.Equal(4, observer.Termination("main").ExitCode);
        Assert.Equal("Error", observer.Termination("main").Reason);
    }

    [Fact]
    public async Task Missing_executable_is_a_StartError()
    {
        var runner = PodRunners.Process();
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(TestPods.Simple("p", TestPods.Container("main", "/nonexistent/binary"))), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Equal("StartError", observer.Termination("main").Reason);
        Assert.Equal(128, observer.Termination("main").ExitCode);
    }

    [Fact]
    public async Task Stop_sends_SIGTERM_to_a_running_process()
    {
        var runner = PodRunners.Process();
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var run = runner.RunAsync(TestPods.Request(TestPods.Simple("p", TestPods.Container("main", "/bin/sleep", "600"))), observer, stop.Token);
        await ScriptedPodRunnerTests.WaitUntilAsync(() => observer.IndexOf("main started") >= 0);
        await stop.CancelAsync();

        Assert.Equal(PodRunEnd.Stopped, (await run).End);
        Assert.Equal(143, observer.Termination("main").ExitCode);
    }

    [Fact]
    public async Task Sandbox_shaped_pod_runs_the_wrapper_and_the_collector_sidecar_sees_the_output()
    {
        var runner = PodRunners.Process();
        var (pod, code) = TestPods.Sandbox("cx", "main.sh", "echo from-code; echo warn >&2; exit 3", ["/bin/sh"]);
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [code], []), observer, Ct);

        Assert.Equal(PodRunEnd.Failed, outcome.End);
        Assert.Equal(3, observer.Termination("code").ExitCode);
        Assert.Equal("== stdout\nfrom-code\n== stderr\nwarn\n", observer.Output("collector"));
        Assert.Equal(0, observer.Termination("collector").ExitCode);
    }

    [Fact]
    public async Task Sidecar_startup_probe_holds_back_the_main_container_until_it_succeeds()
    {
        var observer = new RecordingObserver();

        var outcome = await PodRunners.Process().RunAsync(TestPods.Request(TestPods.SlowSidecar("p")), observer, Ct);

        Assert.Equal(PodRunEnd.Succeeded, outcome.End);
        Assert.Equal("sidecar-ready\n", observer.Output("main"));
    }
}
