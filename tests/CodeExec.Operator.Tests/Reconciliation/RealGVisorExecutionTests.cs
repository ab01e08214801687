using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// The same executions with real isolation: the kubelet's gVisor mode runs each container of the rendered Pod in a
/// runsc sandbox (non-root, no capabilities, read-only root, no network, cgroup limits), the code and the collector in
/// sandboxes of their own sharing the output folder. Skipped where runsc cannot run (not installed, not root).
/// </summary>
public sealed class RealGVisorExecutionTests : RealProcessExecutionTests
{
    private string? _operatorCopy;

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
        if (_operatorCopy is not null)
        {
            Directory.Delete(_operatorCopy, recursive: true);
        }
    }

    protected override IPodRunner CreateRunner() =>
        PodRunners.GVisor(gvisor: new GVisorOptions { ImageHostPaths = ["/usr", "/etc", OperatorDirectory()] });

    /// <summary>
    /// A world-readable copy of this build of the operator: the collector runs it inside its sandbox as its own
    /// non-root user, which cannot read a build folder under /root.
    /// </summary>
    protected override string OperatorDirectory()
    {
        if (_operatorCopy is null)
        {
            var copy = Path.Combine(Path.GetTempPath(), "codeexec-operator-build-" + Environment.ProcessId);
            Directory.CreateDirectory(copy);
            foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory).Where(f => f.EndsWith(".dll", StringComparison.Ordinal)
                || f.EndsWith(".json", StringComparison.Ordinal) || Path.GetFileName(f) == CodeExec.Operator.Sandbox.SandboxRenderer.InitFileName))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)), overwrite: true);
            }

            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            _operatorCopy = copy;
        }

        return _operatorCopy;
    }
}
