using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;

namespace CodeExec.Cli.Tests.Harness;

/// <summary>
/// A cluster for CLI tests: the operator tests' <see cref="SandboxCluster"/> (emulator, simulated kubelet with scripted
/// sandbox Pods, CodeRuntime python) with the real operator running, and a way to run <c>kubectl codeexec</c> in this
/// process against it with captured streams. Tests of a class share it; each uses its own execution names.
/// </summary>
public sealed class CliCluster : IAsyncLifetime
{
    private SandboxCluster? _cluster;

    internal SandboxCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    /// <summary>A folder for the test's files (code, stdin), deleted with the cluster.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("codeexec-cli-").FullName;

    public string KubeconfigPath => Cluster.KubeconfigPath;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        // python is the cluster's default runtime, as config/samples/runtimes has it: run without --runtime uses it.
        var patch = new V1Patch("{\"metadata\":{\"annotations\":{\"" + ApiConstants.DefaultRuntimeAnnotation + "\":\"true\"}}}", V1Patch.PatchType.MergePatch);
        await _cluster.Client.CustomObjects.PatchClusterCustomObjectAsync(patch, ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural,
            SandboxCluster.Runtime);
        await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Writes <paramref name="text"/> to a file of <see cref="Directory"/> and returns its path.</summary>
    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Scripts the sandbox of the execution <paramref name="execution"/>: exit code and output.</summary>
    public void Script(string execution, int exitCode, string stdout, string stderr = "", TimeSpan? duration = null) =>
        Cluster.ScriptSandbox(execution, new ScriptedContainer { ExitCode = exitCode, Duration = duration ?? TimeSpan.FromMilliseconds(50) }, stdout, stderr);

    /// <summary>Scripts every sandbox whose execution name starts with <paramref name="prefix"/> (generated names).</summary>
    public void ScriptPrefix(string prefix, int exitCode, string stdout)
    {
        var record = SandboxCluster.CollectorRecord(Encoding.UTF8.GetBytes(stdout), [], SandboxCluster.DefaultOutputBytes);
        var runner = (ScriptedPodRunner)Cluster.Runner;
        runner.Script(pod => pod.Metadata?.Labels is { } labels
                && labels.TryGetValue(SandboxNames.ExecutionLabel, out var name) && name.StartsWith(prefix, StringComparison.Ordinal)
                && labels.TryGetValue(SandboxNames.RoleLabel, out var role) && role == SandboxNames.RoleSandbox,
            ScriptedPod.With(("code", new ScriptedContainer { ExitCode = exitCode }), ("collector", ScriptedContainer.Sidecar(record))));
    }

    /// <summary>
    /// Runs <c>kubectl codeexec</c> with <paramref name="args"/> (and <c>--kubeconfig</c> for this cluster) through the
    /// CLI's entry, <paramref name="stdin"/> as its standard input.
    /// </summary>
    public Task<CliResult> RunAsync(string[] args, string stdin = "") => RunInterruptibleAsync(args, stdin, TestContext.Current.CancellationToken);

    /// <summary>As <see cref="RunAsync"/>, cancelling <paramref name="interrupted"/> as Ctrl-C does.</summary>
    public async Task<CliResult> RunInterruptibleAsync(string[] args, string stdin, CancellationToken interrupted)
    {
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var console = new CliConsole(input, output, error, name => name == "HOME" ? Directory : null);
        var exitCode = await CliApplication.RunAsync([.. args, "--kubeconfig", KubeconfigPath], console, interrupted);
        return new CliResult(exitCode, output.ToArray(), Encoding.UTF8.GetString(error.ToArray()));
    }
}

/// <summary>What one CLI run did: its exit code, the bytes on stdout and the text on stderr.</summary>
public sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
