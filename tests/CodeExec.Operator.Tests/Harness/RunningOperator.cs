using System.Globalization;
using CodeExec.Operator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>
/// The real operator host (the same <see cref="OperatorHost.Build"/> that <c>make run</c> starts), running in this
/// process against the cluster of a kubeconfig file. <see cref="KillAsync"/> stops it the hard way, cancelling every
/// in-flight reconcile at once, as close to a crash as an in-process host gets.
/// </summary>
internal sealed class RunningOperator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private RunningOperator(WebApplication app, string identity)
    {
        _app = app;
        Identity = identity;
    }

    /// <summary>The name this replica uses in leader election.</summary>
    public string Identity { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts an operator. <paramref name="settings"/> are configuration keys such as
    /// <c>Operator:Executions:MaxActivePerNamespace</c>; fast test timings are the defaults here.
    /// </summary>
    public static async Task<RunningOperator> StartAsync(
        string kubeconfigPath,
        IReadOnlyDictionary<string, string>? settings = null,
        string? identity = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        identity ??= "operator-" + Guid.NewGuid().ToString("N")[..6];
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Operator:Kubernetes:KubeConfig"] = kubeconfigPath,
            ["Operator:Kubernetes:Qps"] = "1000",
            ["Operator:Kubernetes:Burst"] = "1000",
            ["Operator:Controller:RetryBaseDelay"] = "00:00:00.050",
            ["Operator:Controller:RetryMaxDelay"] = "00:00:01",
            ["Operator:Controller:WatchErrorBaseDelay"] = "00:00:00.050",
            ["Operator:Controller:WatchErrorMaxDelay"] = "00:00:00.500",
            ["Operator:Controller:GracefulShutdownTimeout"] = "00:00:02",
            ["Operator:LeaderElection:Enabled"] = "false",
            ["Operator:LeaderElection:Identity"] = identity,
            ["Operator:Executions:QueuedRecheckInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:CodeExec"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            values[key] = value;
        }

        var args = values.Select(pair => string.Create(CultureInfo.InvariantCulture, $"--{pair.Key}={pair.Value}")).ToArray();
        var app = OperatorHost.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        return new RunningOperator(app, identity);
    }

    public T GetRequiredService<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>Stops gracefully: no new work, in-flight reconciles finish within the grace period.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    /// <summary>Stops at once: every in-flight reconcile is cancelled wherever it is.</summary>
    public async Task KillAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            using var now = new CancellationTokenSource();
            await now.CancelAsync();
            await _app.StopAsync(now.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _app.DisposeAsync();
    }
}
