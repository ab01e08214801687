using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CodeExec.Testing.Tools;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Testing.RealApiServer;

/// <summary>
/// One private instance of the real Kubernetes API server for custom resources (upstream apiextensions-apiserver
/// plus etcd, built by hack/kube-apiext.sh), on free loopback ports with its own state directory. Serves CRDs and
/// custom resources with real schema, CEL, status-subresource, watch and apply semantics; no core kinds.
/// Start one per test class or collection (startup takes seconds), not per test. Disposing stops it and wipes its state.
/// </summary>
/// <example>
/// <code>
/// if (KubeApiExtInstallation.FromEnvironment().UnavailableReason is { } why) Assert.Skip(why);
/// await using var server = await KubeApiExtServer.StartAsync();
/// await server.InstallCrdsAsync(["crds/codeexec.dev_codeexecutions.yaml"]);
/// await server.Client.CustomObjects.CreateNamespacedCustomObjectAsync(...);
/// </code>
/// </example>
public sealed class KubeApiExtServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly KubeApiExtInstallation _installation;
    private int _disposed;

    private KubeApiExtServer(KubeApiExtInstallation installation, string runDirectory, int apiPort)
    {
        _installation = installation;
        RunDirectory = runDirectory;
        ApiPort = apiPort;
        KubeconfigPath = Path.Combine(runDirectory, "kubeconfig");
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    /// <summary>The directory holding this instance's certificates, kubeconfig, logs and etcd data.</summary>
    public string RunDirectory { get; }

    /// <summary>The HTTPS port of the API server on 127.0.0.1.</summary>
    public int ApiPort { get; }

    /// <summary>A kubeconfig with an admin client certificate (group system:masters) for this instance.</summary>
    public string KubeconfigPath { get; }

    /// <summary>A client for this instance, authenticated as admin.</summary>
    public Kubernetes Client { get; }

    /// <summary>
    /// Starts an instance. Throws <see cref="InvalidOperationException"/> with the reason when the installation is
    /// unavailable (check <see cref="KubeApiExtInstallation.UnavailableReason"/> first to skip instead) or the server
    /// does not come up.
    /// </summary>
    public static async Task<KubeApiExtServer> StartAsync(KubeApiExtInstallation? installation = null, CancellationToken cancellationToken = default)
    {
        installation ??= KubeApiExtInstallation.FromEnvironment();
        if (installation.UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        // Ports can be taken between the probe and the bind by another process: try a few times.
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var runDirectory = Directory.CreateTempSubdirectory("kube-apiext-").FullName;
            var apiPort = FreePorts(1);
            var etcdPort = FreePorts(3);
            var environment = new Dictionary<string, string>
            {
                ["RUN"] = runDirectory,
                ["API_PORT"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ETCD_PORT"] = etcdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["KUBE_APIEXT_HOME"] = installation.Home,
            };
            int exitCode;
            string output;
            try
            {
                (exitCode, output) = await RunScriptAsync(installation.StartScript, environment, StartTimeout, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // start.sh may already have put etcd or the server in the background.
                await StopAsync(installation, runDirectory);
                throw;
            }

            if (exitCode == 0)
            {
                return new KubeApiExtServer(installation, runDirectory, apiPort);
            }

            var log = ReadTail(Path.Combine(runDirectory, "apiserver.log")) + ReadTail(Path.Combine(runDirectory, "etcd.log"));
            await StopAsync(installation, runDirectory);
            if (attempt == Attempts)
            {
                throw new InvalidOperationException($"kube-apiext did not start (exit {exitCode}): {output}\n{log}");
            }
        }
    }

    /// <summary>Creates (or replaces) the CRDs in the given YAML files and waits until each is Established.</summary>
    public async Task<IReadOnlyList<V1CustomResourceDefinition>> InstallCrdsAsync(
        IEnumerable<string> yamlFiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(yamlFiles);
        var installed = new List<V1CustomResourceDefinition>();
        foreach (var file in yamlFiles)
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, cancellationToken));
            installed.Add(await InstallCrdAsync(crd, cancellationToken));
        }

        return installed;
    }

    /// <summary>Creates (or replaces) one CRD and waits until it is Established.</summary>
    public async Task<V1CustomResourceDefinition> InstallCrdAsync(V1CustomResourceDefinition crd, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crd);
        try
        {
            await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: cancellationToken);
            crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name, cancellationToken: cancellationToken);
        }

        return await WaitEstablishedAsync(crd.Metadata.Name, TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>
    /// Runs kubectl (the one hack/tools.sh caches, else the one on PATH, see <see cref="CachedTools"/>) against this
    /// instance; null when kubectl is not installed (<see cref="CachedTools.MissingReason"/> says why).
    /// </summary>
    public async Task<(int ExitCode, string Output)?> KubectlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var kubectl = CachedTools.Find("kubectl");
        if (kubectl is null)
        {
            return null;
        }

        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KUBECONFIG"] = KubeconfigPath;
        start.Environment["KUBECACHEDIR"] = Path.Combine(RunDirectory, "kubectl-cache");
        return await RunAsync(start, TimeSpan.FromMinutes(1), cancellationToken);
    }

    /// <summary>Stops the server and etcd and deletes the run directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Client.Dispose();
        await StopAsync(_installation, RunDirectory);
    }

    private async Task<V1CustomResourceDefinition> WaitEstablishedAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var crd = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: cancellationToken);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                return crd;
            }

            if (deadline.Elapsed > timeout)
            {
                var conditions = string.Join("; ", crd.Status?.Conditions?.Select(c => $"{c.Type}={c.Status} {c.Message}") ?? []);
                throw new TimeoutException($"CRD {name} not Established after {timeout}: {conditions}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task StopAsync(KubeApiExtInstallation installation, string runDirectory)
    {
        var environment = new Dictionary<string, string> { ["RUN"] = runDirectory, ["WIPE"] = "1" };
        await RunScriptAsync(installation.StopScript, environment, TimeSpan.FromSeconds(30), CancellationToken.None);
        try
        {
            Directory.Delete(runDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process still writing a log: the temp directory is left behind, which is harmless.
        }
    }

    private static Task<(int ExitCode, string Output)> RunScriptAsync(
        string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return RunAsync(start, timeout, cancellationToken);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    // The first of `count` consecutive free loopback ports (etcd needs client, peer and metrics ports in a row).
    private static int FreePorts(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var first = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            if (first + count < IPEndPoint.MaxPort && Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"found no {count} consecutive free ports");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string ReadTail(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        var lines = File.ReadAllLines(path);
        return string.Join('\n', lines.TakeLast(20)) + "\n";
    }
}
