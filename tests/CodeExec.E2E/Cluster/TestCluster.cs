using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using k8s;
using Testcontainers.K3s;

namespace CodeExec.E2E.Cluster;

/// <summary>A cluster the suite runs against: a kubeconfig file for it, and what to say about it.</summary>
public interface ITestCluster : IAsyncDisposable
{
    /// <summary>A kubeconfig file whose current context is the cluster.</summary>
    string KubeconfigPath { get; }

    /// <summary>Which cluster this is, for messages.</summary>
    string Description { get; }
}

/// <summary>The cluster of $KUBECONFIG: used as it is and left as it is.</summary>
internal sealed class KubeconfigCluster(string path, string server) : ITestCluster
{
    public string KubeconfigPath => path;

    public string Description => $"the cluster of KUBECONFIG {path} ({server})";

    /// <summary>The cluster when its API server answers /version within 10 s, else null and why.</summary>
    public static async Task<(ITestCluster? Cluster, string? Unavailable)> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            configuration.HttpClientTimeout = TimeSpan.FromSeconds(10);
            using var client = new Kubernetes(configuration);
            using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            probe.CancelAfter(TimeSpan.FromSeconds(10));
            var version = await client.Version.GetCodeAsync(probe.Token);
            return (new KubeconfigCluster(path, $"{configuration.Host}, Kubernetes {version.GitVersion}"), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"the API server of KUBECONFIG {path} does not answer ({e.GetType().Name}: {e.Message})");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// A one-node K3s cluster in a Docker container (Testcontainers.K3s), with gVisor as containerd handler
/// <c>runsc</c> (<see cref="K3sNode"/>) and, when given, the operator image imported from a <c>docker save</c>
/// archive. K3s runs flannel with its embedded network policy controller (kube-router's), which enforces NetworkPolicy.
/// Runtime images (python:3.12-slim, bash:5.2) are pulled by the node, so it needs a registry it can reach.
/// </summary>
internal sealed class K3sCluster(K3sContainer container, string kubeconfigPath, string image) : ITestCluster
{
    public string KubeconfigPath => kubeconfigPath;

    public string Description => $"K3s {image} in Docker container {container.Name}";

    /// <summary>
    /// Whether a Docker engine answers, asked the way Testcontainers asks (its endpoint providers: DOCKER_HOST,
    /// ~/.testcontainers.properties, the default sockets) and given at most 15 s. Null when it does, else why not.
    /// </summary>
    public static async Task<string?> DockerUnavailableAsync()
    {
        try
        {
            var endpoint = await Task.Run(() => TestcontainersSettings.OS.DockerEndpointAuthConfig).WaitAsync(TimeSpan.FromSeconds(15));
            return endpoint is null ? "no Docker engine answers (DOCKER_HOST, ~/.testcontainers.properties and the default sockets were tried)" : null;
        }
        catch (TimeoutException)
        {
            return "the Docker engine did not answer within 15s";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"no Docker engine ({e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>Starts K3s with gVisor from <paramref name="gvisorDirectory"/>; imports <paramref name="imageArchive"/> if given.</summary>
    public static async Task<K3sCluster> StartAsync(E2ESettings settings, string gvisorDirectory, string workDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var container = new K3sBuilder(settings.K3sImage)
            .WithResourceMapping(Encoding.UTF8.GetBytes(K3sNode.ContainerdTemplateV3), FilePath.Of(K3sNode.ContainerdTemplateDirectory + "/config-v3.toml.tmpl"))
            .WithResourceMapping(Encoding.UTF8.GetBytes(K3sNode.ContainerdTemplateV2), FilePath.Of(K3sNode.ContainerdTemplateDirectory + "/config.toml.tmpl"))
            .WithResourceMapping(FilePath.Of(Path.Combine(gvisorDirectory, K3sNode.Runsc)), DirectoryPath.Of(K3sNode.BinaryDirectory), fileMode: Unix.FileMode755)
            .WithResourceMapping(FilePath.Of(Path.Combine(gvisorDirectory, K3sNode.RunscShim)), DirectoryPath.Of(K3sNode.BinaryDirectory), fileMode: Unix.FileMode755)
            .Build();
        try
        {
            await container.StartAsync(cancellationToken);
            if (settings.ImageArchive is { } archive)
            {
                await ImportImageAsync(container, archive, settings.Image!, cancellationToken);
            }

            var kubeconfig = Path.Combine(workDirectory, "k3s.kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, await container.GetKubeconfigAsync(), cancellationToken);
            return new K3sCluster(container, kubeconfig, settings.K3sImage);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Copies the archive into the node and imports it into containerd's k8s.io namespace, where the kubelet finds
    /// images, for the node's platform only (<c>ctr images import --platform linux/&lt;arch&gt;</c>, the node's
    /// <c>uname -m</c>): an archive from Docker's containerd image store may name platforms it has no content for,
    /// which an import of every platform fails on (k3d-io/k3d#1538, containerd/containerd#12908).
    /// </summary>
    private static async Task ImportImageAsync(K3sContainer container, string archive, ImageReference image, CancellationToken cancellationToken)
    {
        var source = new FileInfo(archive);
        var target = "/tmp/" + source.Name;
        await container.CopyAsync(source, "/tmp", ct: cancellationToken);
        var machine = await container.ExecAsync(["uname", "-m"], cancellationToken);
        var platform = K3sNode.Platform(machine.Stdout.Trim())
            ?? throw new InvalidOperationException($"the K3s node's architecture '{machine.Stdout.Trim()}' (uname -m) is neither x86_64 nor aarch64");
        var ctr = new List<string> { "ctr", "--address", K3sNode.ContainerdSocket, "--namespace", "k8s.io", "images" };
        var import = await container.ExecAsync([.. ctr, "import", "--platform", platform, target], cancellationToken);
        if (import.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctr images import {archive} failed ({import.ExitCode}): {import.Stderr}{import.Stdout}");
        }

        var list = await container.ExecAsync([.. ctr, "list", "--quiet"], cancellationToken);
        if (!list.Stdout.Split('\n').Contains(image.ContainerdName, StringComparer.Ordinal))
        {
            throw new InvalidOperationException($"{archive} was imported but holds no {image.ContainerdName}; the node has: {list.Stdout.Trim()}");
        }
    }

    public ValueTask DisposeAsync() => container.DisposeAsync();
}
