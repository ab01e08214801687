using System.Net;
using CodeExec.DevCluster.Cluster;
using CodeExec.DevCluster.Samples;
using CodeExec.E2E.Cluster;
using CodeExec.Testing.Tools;
using k8s;
using k8s.Autorest;
using k8s.Models;

[assembly: AssemblyFixture(typeof(CodeExec.E2E.RealClusterFixture))]

namespace CodeExec.E2E;

/// <summary>
/// The cluster every E2E test runs in, set up once for the assembly. The cluster comes from, in this order:
/// <list type="number">
/// <item>$KUBECONFIG, when its API server answers;</item>
/// <item>a K3s container (Testcontainers.K3s), when a Docker engine answers and gVisor's binaries and the operator image
/// are there (<see cref="E2ESettings"/>, <see cref="K3sNode"/>);</item>
/// <item>none: every test skips, saying what was tried (<see cref="NoClusterMessage"/>).</item>
/// </list>
/// On it: the CRDs of crds/ applied, the operator installed with helm from charts/codeexec-operator (or run in this
/// process, <c>CODEEXEC_E2E_OPERATOR=in-process</c>), and a fresh tenant namespace labelled
/// <c>pod-security.kubernetes.io/enforce=restricted</c>. Everything is removed at the end (the CRDs stay: other
/// releases may use them). Do not point it at a cluster where another codeexec-operator reconciles every namespace:
/// both would act on the tests' executions.
/// </summary>
public sealed class RealClusterFixture : IAsyncLifetime
{
    /// <summary>The start of what a skipped test says when no cluster is available (hack/allowed-skips.txt lists it).</summary>
    public const string NoClusterMessage = "no cluster:";

    private readonly string _workDirectory = Path.Combine(Path.GetTempPath(), "codeexec-e2e-" + Guid.NewGuid().ToString("N")[..8]);
    private ITestCluster? _cluster;
    private IOperatorUnderTest? _operator;
    private string? _unavailable;

    /// <summary>The client of the cluster; only valid once <see cref="SkipUnlessAvailable"/> returned.</summary>
    public IKubernetes Client { get; private set; } = null!;

    /// <summary>The tenant namespace the tests create executions in (restricted Pod Security; deleted at the end).</summary>
    public string Namespace { get; } = "codeexec-e2e-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The repository's samples.</summary>
    public SampleManifests Samples { get; private set; } = null!;

    /// <summary>Which cluster and operator the tests run against, for assertion messages.</summary>
    public string Description { get; private set; } = "";

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
        var settings = E2ESettings.Read(Environment.GetEnvironmentVariable);
        var cancellation = TestContext.Current.CancellationToken;
        var layout = RepositoryLayout.Find();
        Samples = SampleManifests.Load(layout.Samples);
        Directory.CreateDirectory(_workDirectory);

        var tried = new List<string>();
        _cluster = await FindClusterAsync(settings, tried, cancellation);
        if (_cluster is null)
        {
            _unavailable = $"{NoClusterMessage} {string.Join("; ", tried)}";
            return;
        }

        var helm = CachedTools.Find("helm");
        if (settings.Operator == OperatorMode.Helm && (settings.Image is null || helm is null))
        {
            _unavailable = $"{_cluster.Description} answers, but the operator cannot be installed with helm: "
                + (settings.Image is null ? "set CODEEXEC_E2E_IMAGE to the operator image (repository:tag) the nodes can pull or have" : CachedTools.MissingReason("helm"))
                + " (or CODEEXEC_E2E_OPERATOR=in-process to run it in the test process)";
            return;
        }

        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(_cluster.KubeconfigPath);
        configuration.HttpClientTimeout = TimeSpan.FromSeconds(30);
        Client = new Kubernetes(configuration);
        try
        {
            await InstallCrdsAsync(layout, cancellation);
            _operator = settings.Operator == OperatorMode.Helm
                ? await HelmOperator.InstallAsync(Client, _cluster.KubeconfigPath, helm!, settings.Image!, layout, cancellation)
                : await InProcessOperatorUnderTest.StartAsync(Client, _cluster.KubeconfigPath, settings, Samples, cancellation);
            await Namespaces.CreateRestrictedAsync(Client, Namespace, cancellation);
            Description = $"{_cluster.Description}, {_operator.Description}, tenant namespace {Namespace}";
        }
        catch
        {
            // The tests fail with this exception; what was set up is removed now, not left to a dispose that may not come.
            await DisposeAsync();
            _operator = null;
            _cluster = null;
            throw;
        }
    }

    /// <summary>The first cluster source that yields one; adds to <paramref name="tried"/> why each other did not.</summary>
    private async Task<ITestCluster?> FindClusterAsync(E2ESettings settings, List<string> tried, CancellationToken cancellationToken)
    {
        if (settings.Kubeconfig is null)
        {
            tried.Add("KUBECONFIG is not set");
        }
        else
        {
            var (cluster, unavailable) = await KubeconfigCluster.ProbeAsync(settings.Kubeconfig, cancellationToken);
            if (cluster is not null)
            {
                return cluster;
            }

            tried.Add(unavailable!);
        }

        if (!settings.K3sAllowed)
        {
            tried.Add("Testcontainers.K3s is turned off (CODEEXEC_E2E_K3S=0)");
            return null;
        }

        if (await K3sCluster.DockerUnavailableAsync() is { } noDocker)
        {
            tried.Add($"{noDocker}, so no K3s container (Testcontainers.K3s)");
            return null;
        }

        var (gvisor, gvisorMissing) = K3sNode.FindGVisor(settings.GVisorDirectory, Environment.GetEnvironmentVariable("PATH"));
        var missing = new List<string>();
        if (gvisorMissing is not null)
        {
            missing.Add(gvisorMissing);
        }

        if (settings.Image is null)
        {
            missing.Add("CODEEXEC_E2E_IMAGE (the operator image, repository:tag; with CODEEXEC_E2E_IMAGE_ARCHIVE, a docker save archive of it, when the node cannot pull it)");
        }
        else if (settings.ImageArchive is { } archive && !File.Exists(archive))
        {
            missing.Add($"CODEEXEC_E2E_IMAGE_ARCHIVE={archive} does not exist");
        }

        if (settings.Operator == OperatorMode.Helm && CachedTools.Find("helm") is null)
        {
            missing.Add(CachedTools.MissingReason("helm"));
        }

        if (missing.Count > 0)
        {
            tried.Add($"a Docker engine answers, but a K3s cluster with gVisor needs: {string.Join("; ", missing)}");
            return null;
        }

        return await K3sCluster.StartAsync(settings, gvisor!, _workDirectory, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_operator is not null)
            {
                // The tenant namespace goes first, while the operator still runs and can clean its children up.
                await Namespaces.DeleteAsync(Client, Namespace, TimeSpan.FromMinutes(2));
                await _operator.DisposeAsync();
            }
        }
        finally
        {
            (Client as IDisposable)?.Dispose();
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }

            if (Directory.Exists(_workDirectory))
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
        }
    }

    /// <summary>Creates or updates each CRD of crds/, then waits until the API server has established it.</summary>
    private async Task InstallCrdsAsync(RepositoryLayout layout, CancellationToken cancellationToken)
    {
        foreach (var file in layout.CrdFiles())
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, cancellationToken));
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

            await WaitEstablishedAsync(crd.Metadata.Name, cancellationToken);
        }
    }

    private async Task WaitEstablishedAsync(string name, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var crd = await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: cancellationToken);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        throw new InvalidOperationException($"CRD {name} was not established within 30s");
    }
}
