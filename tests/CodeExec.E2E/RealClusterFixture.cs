using System.Net;
using CodeExec.Api;
using CodeExec.DevCluster.Cluster;
using CodeExec.DevCluster.Samples;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.E2E;

/// <summary>
/// A real cluster for the E2E tests: the one $KUBECONFIG names. When it is set and the API server answers, the fixture
/// installs the repository's CRDs and the sample CodeRuntimes, makes a fresh namespace, and runs the real operator in
/// this process against that cluster (the collector image is the operator image, <c>CODEEXEC_E2E_COLLECTOR_IMAGE</c>
/// or the built-in default, which the cluster's nodes must be able to pull; <c>CODEEXEC_E2E_COLLECTOR_COMMAND</c>
/// overrides its command). Otherwise every test skips with the reason.
/// Testcontainers.K3s cannot stand in for a cluster here: it needs a Docker engine, and these machines have none.
/// Do not run it against a cluster where a deployed codeexec-operator already reconciles every namespace: both would act.
/// </summary>
public sealed class RealClusterFixture : IAsyncLifetime
{
    /// <summary>What a skipped test says when there is no cluster.</summary>
    public const string NoClusterMessage = "no cluster: set KUBECONFIG to a cluster with gVisor to run the E2E tests";

    private InProcessOperator? _operator;
    private string? _unavailable;

    /// <summary>The client of the cluster; only valid once <see cref="SkipUnlessAvailable"/> returned.</summary>
    public IKubernetes Client { get; private set; } = null!;

    /// <summary>The namespace the tests create executions in (deleted at the end).</summary>
    public string Namespace { get; } = "codeexec-e2e-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The repository's samples.</summary>
    public SampleManifests Samples { get; private set; } = null!;

    /// <summary>Skips the calling test, with the reason, unless a cluster is there and ready.</summary>
    public void SkipUnlessAvailable()
    {
        if (_unavailable is not null)
        {
            Assert.Skip(_unavailable);
        }
    }

    public async ValueTask InitializeAsync()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (string.IsNullOrWhiteSpace(kubeconfig))
        {
            _unavailable = NoClusterMessage + " (KUBECONFIG is not set)";
            return;
        }

        var path = kubeconfig.Split(Path.PathSeparator)[0];
        try
        {
            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
            configuration.HttpClientTimeout = TimeSpan.FromSeconds(30);
            Client = new Kubernetes(configuration);
            using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Client.Version.GetCodeAsync(probe.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _unavailable = $"{NoClusterMessage} (the API server of {path} does not answer: {e.GetType().Name}: {e.Message})";
            return;
        }

        var layout = RepositoryLayout.Find();
        Samples = SampleManifests.Load(layout.Samples);
        try
        {
            await InstallCrdsAsync(layout);
        }
        catch (HttpOperationException e)
        {
            _unavailable = $"the cluster of {path} answers but the CRDs cannot be installed there "
                + $"({(int)e.Response.StatusCode} {e.Response.ReasonPhrase}: {e.Response.Content})";
            return;
        }

        await SampleApplier.ApplyRuntimesAsync(Client, Samples.Runtimes, CancellationToken.None);
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("CODEEXEC_E2E_COLLECTOR_IMAGE") is { Length: > 0 } image)
        {
            settings["Sandbox:CollectorImage"] = image;
        }

        // A space-separated command overrides the collector command, e.g. when the collector image keeps the binary elsewhere.
        var collectorCommand = Environment.GetEnvironmentVariable("CODEEXEC_E2E_COLLECTOR_COMMAND") is { Length: > 0 } command
            ? command.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : null;
        _operator = await InProcessOperator.StartAsync(path, collectorCommand, settings);
    }

    public async ValueTask DisposeAsync()
    {
        if (_operator is not null)
        {
            await _operator.DisposeAsync();
            try
            {
                await Client.CoreV1.DeleteNamespaceAsync(Namespace);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
        }

        (Client as IDisposable)?.Dispose();
    }

    /// <summary>Creates or updates each CRD of crds/, then waits until the API server has established it.</summary>
    private async Task InstallCrdsAsync(RepositoryLayout layout)
    {
        foreach (var file in layout.CrdFiles())
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file));
            try
            {
                await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                var existing = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name);
                crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
                await Client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name);
            }

            await WaitEstablishedAsync(crd.Metadata.Name);
        }
    }

    private async Task WaitEstablishedAsync(string name)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var crd = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        throw new InvalidOperationException($"CRD {name} was not established within 30s");
    }
}
