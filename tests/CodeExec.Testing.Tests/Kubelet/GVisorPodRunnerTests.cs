using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>Real gVisor sandboxes: these skip (with the reason) when runsc is missing or the tests are not root.</summary>
public sealed class GVisorPodRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Python_prints_real_output_under_gVisor_kernel_not_the_hosts()
    {
        var runner = Runner();
        var (pod, code) = TestPods.Sandbox("py", "main.py",
            "import os, platform, sys\nprint('sum', sum(range(10)))\nprint('kernel', platform.release())\nprint('uid', os.getuid(), os.getgid())\nprint('err', file=sys.stderr)\n",
            ["/usr/bin/python3", "-I"]);
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [code], []), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        var hostKernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var record = observer.Output("collector");
        Assert.Contains("sum 45\n", record, StringComparison.Ordinal);
        Assert.Contains("uid 65532 65532\n", record, StringComparison.Ordinal);
        Assert.Contains("== stderr\nerr\n", record, StringComparison.Ordinal);
        var kernel = record.Split('\n').Single(l => l.StartsWith("kernel ", StringComparison.Ordinal))["kernel ".Length..];
        Assert.NotEqual(hostKernel, kernel);
        Assert.StartsWith("runsc://", observer.Termination("code").ContainerId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fork_bomb_is_stopped_by_the_pids_limit()
    {
        var runner = Runner(podPidsLimit: 64);
        var (pod, code) = TestPods.Sandbox("bomb", "main.py",
            "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped after', n, 'forks:', e.strerror, flush=True)\n",
            ["/usr/bin/python3"]);
        pod.Spec.ActiveDeadlineSeconds = 60;
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(new PodRunRequest(pod, [code], []), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        var line = observer.Output("collector").Split('\n').Single(l => l.StartsWith("stopped after", StringComparison.Ordinal));
        var forks = int.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(forks, 1, 64);
    }

    [Fact]
    public async Task Stopping_the_run_kills_the_sandbox()
    {
        var runner = Runner();
        var observer = new RecordingObserver();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var container = TestPods.Container("main", "/bin/sleep", "600");
        container.SecurityContext.RunAsUser = 1000;

        var run = runner.RunAsync(TestPods.Request(TestPods.Simple("sleeper", container)), observer, stop.Token);
        await ScriptedPodRunnerTests.WaitUntilAsync(() => observer.IndexOf("main started") >= 0);
        await stop.CancelAsync();

        Assert.Equal(PodRunEnd.Stopped, (await run).End);
        Assert.Contains(observer.Termination("main").ExitCode, new[] { 137, 143 });
    }

    [Fact]
    public async Task Writable_root_filesystem_is_refused_with_a_message()
    {
        var runner = Runner();
        var container = TestPods.Container("main", "/bin/true");
        container.SecurityContext.ReadOnlyRootFilesystem = false;
        container.SecurityContext.RunAsUser = 1000;

        var outcome = await runner.RunAsync(TestPods.Request(TestPods.Simple("rw", container)), new RecordingObserver(), Ct);

        Assert.Equal(PodRunEnd.Unsupported, outcome.End);
        Assert.Contains("readOnlyRootFilesystem", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_filesystem_is_read_only_and_the_sandbox_has_no_network()
    {
        var runner = Runner();
        var container = TestPods.Container("main", "/usr/bin/python3", "-c",
            "import socket\ntry:\n    open('/etc/x', 'w')\nexcept OSError as e:\n    print('write', e.errno)\nprint('ifaces', sorted(n for _, n in socket.if_nameindex()))\n");
        container.SecurityContext.RunAsUser = 1000;
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(TestPods.Simple("ro", container)), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        Assert.Contains("write ", observer.Output("main"), StringComparison.Ordinal);
        Assert.Contains("ifaces ['lo']", observer.Output("main"), StringComparison.Ordinal);
        Assert.Equal("", observer.Output("main", OutputStreamKind.Stderr));
    }

    [Fact]
    public async Task Sidecar_startup_probe_runs_with_runsc_exec_and_holds_back_the_main_container()
    {
        var runner = Runner();
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(TestPods.SlowSidecar("probe")), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        Assert.Equal("sidecar-ready\n", observer.Output("main"));
    }

    private static IPodRunner Runner(long? podPidsLimit = null)
    {
        var gvisor = new GVisorOptions();
        if (!gvisor.CanRun(out var reason))
        {
            Assert.Skip(reason);
        }

        TestContext.Current.TestOutputHelper?.WriteLine("runsc: " + gvisor.Runsc.Description);
        return PodRunners.GVisor(new PodRunnerOptions { PodPidsLimit = podPidsLimit }, gvisor);
    }
}
