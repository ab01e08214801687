using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using CodeExec.Api;
using CodeExec.DevCluster.Cluster;
using CodeExec.DevCluster.Reporting;
using CodeExec.DevCluster.Samples;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using Microsoft.Extensions.Logging;

namespace CodeExec.DevCluster;

/// <summary>
/// One run of the dev cluster: emulator with the repository's CRDs and config/runtime, the simulated node (gVisor
/// or process mode), the real operator against a kubeconfig for the emulator, then the samples, their results, and
/// (with --keep) a cluster left up for kubectl until Ctrl+C.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class DemoRun(DevClusterOptions options, TextWriter output, TimeProvider time)
{
    private const string Namespace = "default";
    private readonly long _started = time.GetTimestamp();

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        RepositoryLayout layout;
        SampleManifests samples;
        try
        {
            layout = RepositoryLayout.Find();
            samples = SampleManifests.Load(layout.Samples);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            await output.WriteLineAsync($"codeexec-devcluster: {e.Message}");
            return 2;
        }

        var workDirectory = CreateWorkDirectory();
        try
        {
            return await RunInAsync(layout, samples, workDirectory, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync("interrupted");
            return 1;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await output.WriteLineAsync($"codeexec-devcluster: the dev cluster failed: {e}");
            return 2;
        }
        finally
        {
            TryDelete(workDirectory);
        }
    }

    private async Task<int> RunInAsync(RepositoryLayout layout, SampleManifests samples, string workDirectory, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Error));
        var build = OperatorBuild.Stage(Path.Combine(workDirectory, "operator"));

        var emulatorOptions = new EmulatorOptions { LoadRepositoryCrds = false };
        foreach (var crdFile in layout.CrdFiles())
        {
            emulatorOptions.CrdPaths.Add(crdFile);
        }

        emulatorOptions.ManifestPaths.Add(layout.Runtime);

        await using var emulator = await KubernetesEmulator.StartAsync(emulatorOptions, cancellationToken);
        var kubeconfig = Path.Combine(workDirectory, "kubeconfig");
        Kubeconfig.Write(kubeconfig, emulator.BaseUri, Namespace);
        using var client = emulator.CreateClient();
        await Say($"API emulator listening on {emulator.BaseUri} (CRDs from {layout.Crds})");

        var gvisor = new GVisorOptions { ImageHostPaths = ImageHostPaths(build) };
        var selection = SandboxSelection.Choose(options.Mode, gvisor);
        await Say($"RuntimeClass {ApiConstants.DefaultRuntimeClassName} and PriorityClass codeexec-sandbox created from config/runtime; simulated node in {selection.Mode} mode ({selection.Why})");
        await output.WriteLineAsync();
        await output.WriteLineAsync("  >>> " + selection.Banner);
        await output.WriteLineAsync();

        var kubeletLogger = loggerFactory.CreateLogger("kubelet");
        var runner = selection.CreateRunner(
            new PodRunnerOptions { WorkDirectory = Path.Combine(workDirectory, "kubelet"), Logger = kubeletLogger, PodPidsLimit = 1024 }, gvisor);
        await using var node = await SimulatedNode.StartAsync(client, emulator.Logs, runner, new KubeletOptions { Logger = kubeletLogger });

        if (options.ClusterOnly)
        {
            var e2eEnvironment = E2EEnvironment(kubeconfig, build);
            await output.WriteLineAsync($"""

                The cluster (without operator) stays up until Ctrl+C. Run an operator against it, for example:
                  export KUBECONFIG={kubeconfig}
                  dotnet run --project src/CodeExec.Operator -- {string.Join(' ', build.CollectorCommand.Select((part, i) => $"--Sandbox:CollectorCommand:{i}={part}"))}
                or the E2E suite, with the operator in its process:
                  {string.Join(' ', e2eEnvironment.Skip(1).Select(v => $"{v.Key}=\"{v.Value}\""))} dotnet test --project tests/CodeExec.E2E
                """);
            if (options.EnvFile is { } envFile)
            {
                // Written to a new file then renamed, so a reader waiting for it never sees half of it.
                await File.WriteAllLinesAsync(envFile + ".tmp", e2eEnvironment.Select(v => $"export {v.Key}='{v.Value}'"), cancellationToken);
                File.Move(envFile + ".tmp", envFile, overwrite: true);
                await Say($"wrote the E2E suite's environment to {envFile}");
            }

            await WaitForStopAsync(cancellationToken);
            return 0;
        }

        await using var codeexecOperator = await InProcessOperator.StartAsync(kubeconfig, build.CollectorCommand, CollectorSettings,
            minimumLogLevel: options.Verbose ? "Information" : "Warning", cancellationToken: cancellationToken);
        await Say($"operator started in this process (kubeconfig {kubeconfig}); collector: {string.Join(' ', build.CollectorCommand)}");

        await SampleApplier.ApplyRuntimesAsync(client, samples.Runtimes, cancellationToken);
        var names = await SampleApplier.CreateExecutionsAsync(client, Namespace, samples.Executions, namePrefix: "", cancellationToken);
        await Say($"applied {samples.Runtimes.Count} CodeRuntimes ({string.Join(", ", samples.Runtimes.Select(r => r.Metadata.Name))}) "
            + $"and {names.Count} CodeExecutions; waiting up to {options.Timeout.TotalSeconds:0}s for them to finish");

        var results = await ExecutionWatcher.WaitForFinalAsync(client, Namespace, names, options.Timeout,
            (name, phase) => output.WriteLine($"  {Elapsed()} {name}: {phase ?? "(no status yet)"}"), time, cancellationToken);

        await output.WriteLineAsync();
        var asDesigned = 0;
        foreach (var name in names)
        {
            var expectation = SampleExpectation.For(name);
            var execution = results[name];
            await output.WriteLineAsync(ResultReport.Describe(name, execution, expectation));
            asDesigned += expectation.Differences(execution?.Status).Count == 0 ? 1 : 0;
        }

        var unfinished = results.Values.Count(e => !SampleExpectation.IsFinal(e?.Status?.Phase));
        var summary = $"{asDesigned}/{names.Count} samples ended as designed in {selection.Mode} mode after {Elapsed().Trim('[', ']', ' ')}";
        await output.WriteLineAsync(unfinished > 0 ? $"{summary}; {unfinished} did not finish within {options.Timeout.TotalSeconds:0}s" : summary);

        if (options.Keep)
        {
            await KeepRunningAsync(kubeconfig, cancellationToken);
        }

        return asDesigned == names.Count ? 0 : 1;
    }

    private async Task KeepRunningAsync(string kubeconfig, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"""

            The cluster stays up until Ctrl+C. In another terminal:
              export KUBECONFIG={kubeconfig}
              kubectl get cx
              kubectl get cx hello-python -o jsonpath='{"{.status.stdout}"}'
              kubectl delete cx hello-python && kubectl create --validate=false -f config/samples/hello-python.yaml
            The emulator serves no OpenAPI document (hence --validate=false) and no server-side tables, so
            `kubectl get cx` shows NAME and AGE only, not the CRD's printer columns; use -o yaml or -o jsonpath.
            """);
        await WaitForStopAsync(cancellationToken);
    }

    private async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync("stopping the dev cluster");
        }
    }

    /// <summary>
    /// The variables that point the E2E suite (tests/CodeExec.E2E) at this cluster with the operator in the suite's
    /// process: KUBECONFIG first, then the mode, the collector command and <see cref="CollectorSettings"/>. No value
    /// holds a single quote (paths of this program's own folders).
    /// </summary>
    private static List<KeyValuePair<string, string>> E2EEnvironment(string kubeconfig, OperatorBuild build) =>
    [
        new("KUBECONFIG", kubeconfig),
        new("CODEEXEC_E2E_OPERATOR", "in-process"),
        new("CODEEXEC_E2E_COLLECTOR_COMMAND", string.Join(' ', build.CollectorCommand)),
        new("CODEEXEC_E2E_OPERATOR_SETTINGS", string.Join(' ', CollectorSettings.Select(s => $"{s.Key}={s.Value}"))),
    ];

    /// <summary>
    /// The dev cluster's collector is <c>dotnet codeexec-operator.dll</c>, which JIT-compiles at start; under the
    /// production collector CPU limit (100m) that takes seconds in a sandbox, so it gets a whole CPU here.
    /// </summary>
    private static readonly Dictionary<string, string> CollectorSettings = new(StringComparer.Ordinal)
    {
        ["Sandbox:CollectorCpu"] = "1",
        ["Sandbox:CollectorMemory"] = "256Mi",
    };

    /// <summary>The folders standing in for images in gVisor mode: /usr, /etc, the staged operator, and the .NET install when elsewhere.</summary>
    private static IReadOnlyList<string> ImageHostPaths(OperatorBuild build)
    {
        var paths = new List<string> { "/usr", "/etc", build.Directory };
        if (!paths.Any(p => build.DotnetRoot.StartsWith(p + "/", StringComparison.Ordinal)))
        {
            paths.Add(build.DotnetRoot);
        }

        return paths;
    }

    /// <summary>A fresh folder outside /tmp (sandboxes mount their own /tmp), listable by every user so the collector's UID reaches the operator copy.</summary>
    private static string CreateWorkDirectory()
    {
        var parent = Directory.Exists("/var/tmp") ? "/var/tmp" : Path.GetTempPath();
        var directory = Path.Combine(parent, "codeexec-devcluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return directory;
    }

    private void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"note: could not remove {directory}: {e.Message}");
        }
    }

    private Task Say(string line) => output.WriteLineAsync($"  {Elapsed()} {line}");

    private string Elapsed() => string.Create(CultureInfo.InvariantCulture, $"[{time.GetElapsedTime(_started).TotalSeconds,5:0.0}s]");
}
