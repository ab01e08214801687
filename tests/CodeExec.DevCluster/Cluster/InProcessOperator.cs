using System.Globalization;
using CodeExec.Operator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeExec.DevCluster.Cluster;

/// <summary>
/// The real operator (<see cref="OperatorHost.Build"/>, the same host <c>make run</c> starts) running inside this
/// process against the cluster of a kubeconfig file. Its endpoints listen on a free loopback port.
/// </summary>
public sealed class InProcessOperator : IAsyncDisposable
{
    private readonly WebApplication _host;

    private InProcessOperator(WebApplication host) => _host = host;

    /// <summary>
    /// Builds and starts the operator. <paramref name="collectorCommand"/> (when given) replaces the collector command
    /// of every sandbox Pod; <paramref name="settings"/> are further configuration keys such as
    /// <c>Sandbox:CollectorImage</c>. Operator logs below <paramref name="minimumLogLevel"/> are dropped.
    /// </summary>
    public static async Task<InProcessOperator> StartAsync(string kubeconfigPath, IReadOnlyList<string>? collectorCommand,
        IReadOnlyDictionary<string, string>? settings = null, string minimumLogLevel = "Warning", CancellationToken cancellationToken = default)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Operator:Kubernetes:KubeConfig={kubeconfigPath}",
            $"--Logging:LogLevel:Default={minimumLogLevel}",
            $"--Logging:LogLevel:Microsoft.AspNetCore={minimumLogLevel}",
            $"--Logging:LogLevel:Microsoft.Hosting.Lifetime={minimumLogLevel}",
        };
        for (var i = 0; i < (collectorCommand?.Count ?? 0); i++)
        {
            args.Add(string.Create(CultureInfo.InvariantCulture, $"--Sandbox:CollectorCommand:{i}={collectorCommand![i]}"));
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }

        var host = OperatorHost.Build([.. args], builder => builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>());
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return new InProcessOperator(host);
    }

    /// <summary>Stops the operator gracefully (its shutdown timeout applies).</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            await _host.DisposeAsync();
        }
    }
}
