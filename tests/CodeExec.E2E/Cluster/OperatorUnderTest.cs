using System.Globalization;
using System.Net;
using CodeExec.Api;
using CodeExec.DevCluster.Cluster;
using CodeExec.DevCluster.Samples;
using CodeExec.Testing.Tools;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.E2E.Cluster;

/// <summary>A running operator for the suite; disposing it stops or uninstalls it.</summary>
public interface IOperatorUnderTest : IAsyncDisposable
{
    /// <summary>How it runs, for messages.</summary>
    string Description { get; }
}

/// <summary>
/// The chart installed with the real helm binary (<see cref="CachedTools"/>: hack/tools.sh's helm v4.1.4, else PATH)
/// into its own namespace, labelled for the restricted Pod Security Standard as the chart's README asks. Objects the
/// chart would create but the cluster already has (RuntimeClass gvisor, PriorityClass codeexec-sandbox, the default
/// CodeRuntimes) are not created again: helm refuses to adopt objects it does not own.
/// </summary>
internal sealed class HelmOperator(string helm, string kubeconfig, string release, string @namespace, IKubernetes client) : IOperatorUnderTest
{
    private static readonly TimeSpan AvailableWithin = TimeSpan.FromMinutes(5);

    public string Description => $"helm release {release} of charts/codeexec-operator in namespace {@namespace}";

    /// <summary>Installs the chart with <paramref name="image"/> and waits until its Deployment is Available.</summary>
    /// <exception cref="InvalidOperationException">helm failed, or the Deployment did not become Available (with its Pods' states).</exception>
    public static async Task<HelmOperator> InstallAsync(IKubernetes client, string kubeconfig, string helm, ImageReference image,
        RepositoryLayout layout, CancellationToken cancellationToken)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var release = "codeexec-operator-e2e-" + suffix;
        var @namespace = "codeexec-e2e-system-" + suffix;
        await Namespaces.CreateRestrictedAsync(client, @namespace, cancellationToken);
        var installed = new HelmOperator(helm, kubeconfig, release, @namespace, client);
        try
        {
            var arguments = InstallArguments(release, layout, @namespace, kubeconfig, image, await ExistingObjectValuesAsync(client, cancellationToken));
            var result = await ToolRunner.RunAsync(helm, arguments, RepositoryLayout.Find().Root, TimeSpan.FromMinutes(3), cancellationToken);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"helm install {release} failed ({result.ExitCode}): {result.Output}");
            }

            await installed.WaitAvailableAsync(cancellationToken);
            return installed;
        }
        catch
        {
            await installed.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The helm command line: <c>install</c> of the chart with the image as strings (a tag such as 0.1 stays a string)
    /// and each of <paramref name="leaveOut"/> (boolean values of the chart) set false.
    /// </summary>
    public static List<string> InstallArguments(string release, RepositoryLayout layout, string @namespace, string kubeconfig,
        ImageReference image, IEnumerable<string> leaveOut)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(image);
        var arguments = new List<string>
        {
            "install", release, Path.Combine(layout.Root, "charts", "codeexec-operator"),
            "--namespace", @namespace, "--kubeconfig", kubeconfig,
            "--set-string", "image.repository=" + image.Repository, "--set-string", "image.tag=" + image.Tag,
        };
        foreach (var value in leaveOut)
        {
            arguments.AddRange(["--set", value + "=false"]);
        }

        return arguments;
    }

    /// <summary>The boolean values to set false because the cluster already has those cluster-scoped objects.</summary>
    private static async Task<List<string>> ExistingObjectValuesAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        if (await ExistsAsync(() => client.NodeV1.ReadRuntimeClassAsync(ApiConstants.DefaultRuntimeClassName, cancellationToken: cancellationToken)))
        {
            values.Add("runtimeClass.create");
        }

        if (await ExistsAsync(() => client.SchedulingV1.ReadPriorityClassAsync("codeexec-sandbox", cancellationToken: cancellationToken)))
        {
            values.Add("priorityClass.create");
        }

        foreach (var runtime in new[] { "python", "node", "bash" })
        {
            if (await ExistsAsync(() => client.CustomObjects.GetClusterCustomObjectAsync(ApiConstants.Group, ApiConstants.Version,
                    ApiConstants.CodeRuntimePlural, runtime, cancellationToken)))
            {
                values.Add("defaultRuntimes.install");
                break;
            }
        }

        return values;
    }

    private static async Task<bool> ExistsAsync<T>(Func<Task<T>> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task WaitAvailableAsync(CancellationToken cancellationToken)
    {
        var selector = "app.kubernetes.io/instance=" + release;
        var deadline = DateTimeOffset.UtcNow + AvailableWithin;
        while (true)
        {
            var deployments = await client.AppsV1.ListNamespacedDeploymentAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken);
            if (deployments.Items.Count > 0 && deployments.Items.All(d =>
                    d.Status?.Conditions?.Any(c => c.Type == "Available" && c.Status == "True") == true))
            {
                return;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                var pods = await client.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken);
                var states = pods.Items.Select(p => $"{p.Metadata.Name}: {p.Status?.Phase} "
                    + string.Join(", ", (p.Status?.ContainerStatuses ?? []).Select(c =>
                        $"{c.Name} ready={c.Ready} {c.State?.Waiting?.Reason}{c.State?.Waiting?.Message}{c.State?.Terminated?.Reason}")));
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"the operator Deployment of {release} was not Available within {AvailableWithin.TotalMinutes} minutes; pods: {string.Join("; ", states)}"));
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    /// <summary>helm uninstall (waiting for the objects to go), then the namespace is deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        await ToolRunner.RunAsync(helm, ["uninstall", release, "--namespace", @namespace, "--kubeconfig", kubeconfig, "--wait", "--timeout", "2m"],
            RepositoryLayout.Find().Root, TimeSpan.FromMinutes(3), CancellationToken.None);
        await Namespaces.DeleteAsync(client, @namespace, TimeSpan.FromMinutes(2));
    }
}

/// <summary>
/// The operator host inside the test process (<see cref="InProcessOperator"/>) against the cluster, with the sample
/// CodeRuntimes applied; for clusters that cannot run the operator image. The cluster must have the RuntimeClass gvisor
/// (<c>kubectl apply -k config/runtime</c>; the dev cluster has it).
/// </summary>
internal sealed class InProcessOperatorUnderTest(InProcessOperator host) : IOperatorUnderTest
{
    public string Description => "the operator in the test process";

    public static async Task<InProcessOperatorUnderTest> StartAsync(IKubernetes client, string kubeconfig, E2ESettings settings,
        SampleManifests samples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            await client.NodeV1.ReadRuntimeClassAsync(ApiConstants.DefaultRuntimeClassName, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"the cluster has no RuntimeClass {ApiConstants.DefaultRuntimeClassName}: kubectl apply -k config/runtime", e);
        }

        await SampleApplier.ApplyRuntimesAsync(client, samples.Runtimes, cancellationToken);
        var operatorSettings = new Dictionary<string, string>(settings.OperatorSettings, StringComparer.Ordinal);
        if (settings.Image is { } image)
        {
            operatorSettings["Sandbox:CollectorImage"] = image.ToString();
        }

        return new InProcessOperatorUnderTest(await InProcessOperator.StartAsync(kubeconfig, settings.CollectorCommand, operatorSettings,
            cancellationToken: cancellationToken));
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary>Namespaces the suite makes and removes.</summary>
internal static class Namespaces
{
    /// <summary>The Pod Security Admission labels of a namespace held to the restricted standard (enforced, warned and audited).</summary>
    public static Dictionary<string, string> RestrictedLabels() => new(StringComparer.Ordinal)
    {
        ["pod-security.kubernetes.io/enforce"] = "restricted",
        ["pod-security.kubernetes.io/enforce-version"] = "latest",
        ["pod-security.kubernetes.io/warn"] = "restricted",
        ["pod-security.kubernetes.io/audit"] = "restricted",
    };

    /// <summary>
    /// Creates the namespace with <see cref="RestrictedLabels"/> and waits (at most a minute) for its ServiceAccount
    /// <c>default</c>, which the service account controller adds and without which admission refuses every Pod.
    /// </summary>
    public static async Task CreateRestrictedAsync(IKubernetes client, string name, CancellationToken cancellationToken)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = RestrictedLabels() } },
            cancellationToken: cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.CoreV1.ReadNamespacedServiceAccountAsync("default", name, cancellationToken: cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && attempt < 120)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    /// <summary>Deletes the namespace and waits until it is gone, at most <paramref name="within"/> (a namespace being finalized is left to finish).</summary>
    public static async Task DeleteAsync(IKubernetes client, string name, TimeSpan within)
    {
        try
        {
            await client.CoreV1.DeleteNamespaceAsync(name);
            var deadline = DateTimeOffset.UtcNow + within;
            while (DateTimeOffset.UtcNow < deadline)
            {
                await client.CoreV1.ReadNamespaceAsync(name);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone.
        }
    }
}
