using CodeExec.Api;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;

namespace CodeExec.Cli.Cluster;

/// <summary>
/// A client for the cluster of a kubeconfig and the namespace commands work in. The kubeconfig is, as for kubectl,
/// <c>--kubeconfig</c>, else the first existing file of <c>KUBECONFIG</c>, else <c>~/.kube/config</c>; the namespace is
/// <c>-n/--namespace</c>, else the context's namespace, else <c>default</c>.
/// </summary>
internal sealed class ClusterConnection : IDisposable
{
    public const string DefaultNamespace = "default";

    private ClusterConnection(Kubernetes client, string @namespace, string server)
    {
        Client = client;
        Namespace = @namespace;
        Server = server;
    }

    public Kubernetes Client { get; }

    /// <summary>The namespace commands read and write CodeExecutions in.</summary>
    public string Namespace { get; }

    /// <summary>The API server's address, for error messages.</summary>
    public string Server { get; }

    /// <summary>Connects with the kubeconfig found as described on the class.</summary>
    /// <exception cref="CliException">No kubeconfig file, or one the client cannot use.</exception>
    public static ClusterConnection Open(CliConsole console, string? kubeconfig, string? context, string? @namespace)
    {
        var path = KubeconfigPath(console, kubeconfig);
        if (!File.Exists(path))
        {
            throw new CliException($"no kubeconfig at {path} (use --kubeconfig or set KUBECONFIG)");
        }

        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        }
        catch (KubeConfigException e)
        {
            throw new CliException($"cannot use the kubeconfig {path}: {e.Message}", e);
        }

        var client = new Kubernetes(configuration);
        var chosen = string.IsNullOrEmpty(@namespace) ? configuration.Namespace : @namespace;
        return new ClusterConnection(client, string.IsNullOrEmpty(chosen) ? DefaultNamespace : chosen, configuration.Host);
    }

    /// <summary>The kubeconfig file to use: the flag, else the first existing entry of KUBECONFIG, else ~/.kube/config.</summary>
    public static string KubeconfigPath(CliConsole console, string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
        {
            return kubeconfig;
        }

        var fromEnvironment = (console.Environment("KUBECONFIG") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fromEnvironment.Length > 0)
        {
            return fromEnvironment.FirstOrDefault(File.Exists) ?? fromEnvironment[0];
        }

        var home = console.Environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".kube", "config");
    }

    /// <summary>Reads a CodeExecution of <see cref="Namespace"/>; null when it does not exist.</summary>
    public async Task<CodeExecution?> GetExecutionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(ApiConstants.Group, ApiConstants.Version, Namespace,
                ApiConstants.CodeExecutionPlural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes a CodeExecution of <see cref="Namespace"/>; false when it did not exist.</summary>
    public async Task<bool> DeleteExecutionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, Namespace,
                ApiConstants.CodeExecutionPlural, name, cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public void Dispose() => Client.Dispose();
}
