using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>
/// One gVisor sandbox per pod (README.md in tests/CodeExec.Testing/Kubelet, "gVisor mode"): shared sandbox and
/// tmpfs, the pod cgroup, native sidecar order, memory beyond the sandbox. Skipped, with the reason, when runsc cannot
/// run here (not installed, not root).
/// </summary>
public sealed class GVisorOneSandboxTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Containers_share_one_sandbox_and_a_memory_emptyDir_is_one_tmpfs_inside_it()
    {
        var runner = Runner();
        var writer = Container("writer", "echo from-writer > /shared/note");
        var reader = Container("reader", "cat /shared/note; grep ' /shared ' /proc/mounts");
        writer.VolumeMounts = [TestPods.Mount("shared", "/shared")];
        reader.VolumeMounts = [TestPods.Mount("shared", "/shared")];
        var pod = TestPods.Simple("shared", reader);
        pod.Spec.InitContainers = [writer];
        pod.Spec.Volumes = [TestPods.EmptyDir("shared", "1Mi")];
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(pod), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        var lines = observer.Output("reader").Split('\n');
        Assert.Equal("from-writer", lines[0]);
        // A tmpfs of the sentry (not a gofer bind of a host folder) that another container filled: one sandbox.
        Assert.Contains(" /shared tmpfs ", " " + lines[1] + " ", StringComparison.Ordinal);
        var writerId = observer.Termination("writer").ContainerId;
        var readerId = observer.Termination("reader").ContainerId;
        Assert.Equal(writerId[writerId.LastIndexOf('.')..], readerId[readerId.LastIndexOf('.')..]);
    }

    [Fact]
    public async Task Pod_cgroup_holds_the_sum_of_the_limits_plus_the_runtime_class_overhead()
    {
        var runner = Runner();
        var main = Limited(Container("main", "grep MemTotal /proc/meminfo"), "64Mi");
        var sidecar = Limited(Container("sidecar", "trap 'exit 0' TERM; while :; do sleep 0.1; done"), "32Mi");
        sidecar.RestartPolicy = "Always";
        var pod = TestPods.Simple("sum", main);
        pod.Spec.InitContainers = [sidecar];
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["memory"] = new("16Mi") };
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(pod), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        // runsc gives the sentry the sandbox cgroup's memory limit as its total memory (runsc/sandbox/sandbox.go,
        // --total-memory), which /proc/meminfo reports: 64 + 32 + 16 MiB.
        Assert.Matches(@"^MemTotal:\s+114688 kB\n$", observer.Output("main"));
    }

    [Fact]
    public async Task Native_sidecars_start_before_and_stop_after_the_main_containers_in_reverse_order()
    {
        var runner = Runner();
        const string Sidecar = "trap 'echo stopping; exit 0' TERM; echo > /shared/$0; while :; do sleep 0.1; done";
        var first = Container("first", Sidecar);
        var second = Container("second", Sidecar);
        foreach (var (sidecar, name) in new[] { (first, "first"), (second, "second") })
        {
            sidecar.RestartPolicy = "Always";
            sidecar.Args = [name];
            sidecar.VolumeMounts = [TestPods.Mount("shared", "/shared")];
            sidecar.StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", "test -e /shared/" + name] }, PeriodSeconds = 1, FailureThreshold = 30 };
        }

        var main = Container("main", "ls /shared | sort | tr '\\n' ' '");
        main.VolumeMounts = [TestPods.Mount("shared", "/shared")];
        var pod = TestPods.Simple("order", main);
        // One grace period covers both sidecars, one after the other; 2 s is too little on a loaded machine.
        pod.Spec.TerminationGracePeriodSeconds = 30;
        pod.Spec.InitContainers = [first, second];
        pod.Spec.Volumes = [TestPods.EmptyDir("shared", "1Mi")];
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(pod), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Succeeded, observer.Dump(outcome));
        Assert.Equal("first second ", observer.Output("main"));
        // The containers' own start and finish times (events are reported concurrently, their order is not the kubelet's).
        ContainerTermination T(string name) => observer.Termination(name);
        Assert.True(T("first").StartedAt <= T("second").StartedAt && T("second").StartedAt <= T("main").StartedAt, observer.Dump(outcome));
        Assert.True(T("main").FinishedAt <= T("second").FinishedAt && T("second").FinishedAt <= T("first").FinishedAt, observer.Dump(outcome));
        Assert.True(observer.Output("first") == "stopping\n" && observer.Output("second") == "stopping\n", observer.Dump(outcome));
    }

    [Fact]
    public async Task Memory_hog_is_not_held_to_its_container_limit_and_fails_at_the_sandbox_total_without_OOMKilled()
    {
        var runner = Runner();
        // 64 MiB for the hog, 64 MiB for a bystander: a 128 MiB pod cgroup and sandbox.
        var hog = Limited(Container("hog", "exec /usr/bin/python3 -c \"$0\"",
            "import sys\nx = []\nwhile True:\n    x.append(bytearray(8 << 20))\n    print(len(x) * 8, flush=True)\n"), "64Mi");
        var bystander = Limited(Container("bystander", "trap 'echo survived; exit 0' TERM; while :; do sleep 0.1; done"), "64Mi");
        bystander.RestartPolicy = "Always";
        var pod = TestPods.Simple("hog", hog);
        pod.Spec.InitContainers = [bystander];
        pod.Spec.ActiveDeadlineSeconds = 120;
        var observer = new RecordingObserver();

        var outcome = await runner.RunAsync(TestPods.Request(pod), observer, Ct);

        Assert.True(outcome.End == PodRunEnd.Failed, observer.Dump(outcome));
        var reached = observer.Output("hog").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).DefaultIfEmpty(0).Max();
        var termination = observer.Termination("hog");
        // No per-container limit inside one sandbox: the hog grows past its own 64 MiB.
        Assert.True(reached > 64, $"reached {reached} MiB\n" + observer.Dump(outcome));
        // Measured (README.md, "Memory"): the allocation beyond the sandbox total fails, the program ends by itself
        // (Python: exit 1), the kubelet reports Error with that exit code, and the sandbox with the bystander lives on.
        Assert.True(termination.Reason != "OOMKilled" && termination.ExitCode is not (0 or 128), observer.Dump(outcome));
        Assert.Equal("survived\n", observer.Output("bystander"));
    }

    private static V1Container Container(string name, string script, params string[] args)
    {
        var container = TestPods.Container(name, ["/bin/sh", "-c", script, .. args]);
        container.SecurityContext.RunAsUser = 1000;
        return container;
    }

    private static V1Container Limited(V1Container container, string memory)
    {
        container.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memory) } };
        return container;
    }

    private static IPodRunner Runner()
    {
        var gvisor = new GVisorOptions();
        if (!gvisor.CanRun(out var reason))
        {
            Assert.Skip(reason);
        }

        TestContext.Current.TestOutputHelper?.WriteLine("runsc: " + gvisor.Runsc.Description);
        return PodRunners.GVisor(new PodRunnerOptions(), gvisor);
    }
}
