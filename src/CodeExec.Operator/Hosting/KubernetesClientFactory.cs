using System.Diagnostics.Metrics;
using CodeExec.Operator.Controller.Client;
using k8s;

namespace CodeExec.Operator.Hosting;

/// <summary>Builds the operator's Kubernetes client from <see cref="KubernetesClientOptions"/>.</summary>
internal static class KubernetesClientFactory
{
    /// <summary>The client configuration: a given kubeconfig, in cluster, or the default kubeconfig.</summary>
    public static KubernetesClientConfiguration LoadConfiguration(KubernetesClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        KubernetesClientConfiguration configuration;
        if (!string.IsNullOrEmpty(options.KubeConfig))
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfig, options.Context);
        }
        else if (options.InCluster == true || (options.InCluster is null && options.Context is null
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBECONFIG")) && KubernetesClientConfiguration.IsInCluster()))
        {
            configuration = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            var path = Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } fromEnvironment
                ? fromEnvironment.Split(Path.PathSeparator)[0]
                : KubernetesClientConfiguration.KubeConfigDefaultLocation;
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.Context);
        }

        configuration.HttpClientTimeout = options.RequestTimeout;
        configuration.UserAgent = "codeexec-operator";
        return configuration;
    }

    /// <summary>
    /// A client on <paramref name="configuration"/> whose requests are limited to the configured QPS and burst, and
    /// counted and timed by <see cref="KubernetesApiMetricsHandler"/> on <paramref name="meterFactory"/>'s meter.
    /// </summary>
    public static KubernetesApiClient Create(KubernetesClientConfiguration configuration, KubernetesClientOptions options, TimeProvider timeProvider,
        IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
#pragma warning disable CA2000 // the handlers are owned (and disposed) by the client's HTTP pipeline
        return new KubernetesApiClient(configuration,
            new ClientRateLimitingHandler(options.Qps, options.Burst, timeProvider),
            new KubernetesApiMetricsHandler(meterFactory));
#pragma warning restore CA2000
    }
}
