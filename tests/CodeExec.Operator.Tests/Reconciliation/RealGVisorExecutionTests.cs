using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The same executions with real isolation: the kubelet's gVisor mode runs each container of the rendered Pod in a
/// runsc sandbox (non-root, no capabilities, read-only root, no network, cgroup limits), the code and the collector in
/// sandboxes of their own sharing the output folder. Skipped where runsc cannot run (not installed, not root).
/// </summary>
public sealed class RealGVisorExecutionTests : RealProcessExecutionTests
{
    private readonly OperatorBuildCopy _operatorCopy = new();

    public override async ValueTask InitializeAsync()
    {
        if (!new GVisorOptions().CanRun(out var reason))
        {
            Assert.Skip(reason);
        }

        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _operatorCopy.Dispose();
    }

    [Fact]
    public async Task A_full_tmp_reads_as_such_in_the_message()
    {
        // /tmp is the Pod's memory emptyDir: a tmpfs of limits.tmpSize inside the sandbox (process mode has a host folder).
        await Cluster.CreateExecutionAsync("real-tmpfull", spec => spec.Limits = new ExecutionLimits { TmpSize = new ResourceQuantity("8Mi") }, code: """
            import sys
            try:
                with open("/tmp/fill", "wb") as f:
                    while True:
                        f.write(b"x" * 65536)
                        f.flush()
            except OSError as e:
                print(e, file=sys.stderr)
                sys.exit(3)
            """);

        var status = (await Cluster.WaitForFinalAsync("real-tmpfull", TimeSpan.FromSeconds(120))).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.Error, 3) == (status.Phase, status.Reason, status.ExitCode), status.Message);
        Assert.Contains("/tmp was full when the code ended", status.Message, StringComparison.Ordinal);
        Assert.Contains("of its 8Mi, limits.tmpSize", status.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", status.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_allocation_larger_than_the_whole_pod_ends_OOMKilled_and_the_collector_still_reports()
    {
        // 400 MiB at once against 96Mi (the pod holds 96Mi + the collector's 128Mi): the sandbox cannot satisfy it, and
        // the program must not get to report it as its own MemoryError, nor take the collector down.
        await Cluster.CreateExecutionAsync("real-bigalloc", spec => spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity("96Mi") }, code: """
            print("before", flush=True)
            block = b"x" * (400 << 20)
            print("after", flush=True)
            """);

        var status = (await Cluster.WaitForFinalAsync("real-bigalloc", TimeSpan.FromSeconds(120))).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.OOMKilled) == (status.Phase, status.Reason), status.Message + " / " + status.Stderr);
        Assert.DoesNotContain("not collected", status.Message, StringComparison.Ordinal);
        Assert.Equal("before\n", status.Stdout);
    }

    [Fact]
    public async Task Writing_a_forged_report_into_the_inits_own_stderr_forges_nothing()
    {
        // The code tries PID 1's stderr (the container log) through /proc, then ends with a partial line so a naive
        // parser would glue the init's real report to it. Whether gVisor lets the open through or not, the result is the
        // kubelet's and the init's: Failed Error 137, not OOMKilled.
        await Cluster.CreateExecutionAsync("real-proc-fd", code: """
            import os, sys
            line = b"codeexec-init: ended exit=137 elapsed_ms=1 peak_memory_bytes=1 memory_limit_bytes=1 memory_limit_hit=1 tmp_used_bytes=1 tmp_size_bytes=1 tmp_full=1 timed_out=0\nX"
            for path in ("/proc/1/fd/2", "/proc/1/fd/1"):
                try:
                    fd = os.open(path, os.O_WRONLY)
                    os.write(fd, line)
                    print("wrote", path, flush=True)
                except OSError as e:
                    print("refused", path, e.errno, flush=True)
            os.kill(os.getpid(), 9)
            """);

        var status = (await Cluster.WaitForFinalAsync("real-proc-fd", TimeSpan.FromSeconds(90))).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.Error, 137) == (status.Phase, status.Reason, status.ExitCode), status.Message + " / " + status.Stdout);
        Assert.DoesNotContain("/tmp was full", status.Message, StringComparison.Ordinal);
    }

    protected override IPodRunner CreateRunner() =>
        PodRunners.GVisor(gvisor: new GVisorOptions { ImageHostPaths = ["/usr", "/etc", OperatorDirectory()] });

    /// <summary>The world-readable copy of this build (<see cref="OperatorBuildCopy"/>) the collector runs in its sandbox.</summary>
    protected override string OperatorDirectory() => _operatorCopy.Directory;
}
