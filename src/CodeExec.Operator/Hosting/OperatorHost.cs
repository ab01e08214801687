using System.Diagnostics.Metrics;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Health;
using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Controller.Watching;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s.Exceptions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Hosting;

/// <summary>
/// The operator process: a generic host (WebApplication) with the Kubernetes client, the watches and caches of the
/// operator's kinds, leader election, the controllers, and the endpoints <c>/healthz</c> (liveness),
/// <c>/readyz</c> (caches synced, elector running) and <c>/metrics</c> (Prometheus text from OpenTelemetry's exporter), on <c>http://0.0.0.0:8080</c>
/// unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> say otherwise.
/// </summary>
public static class OperatorHost
{
    /// <summary>Where the endpoints listen when nothing else is configured.</summary>
    public const string DefaultUrls = "http://0.0.0.0:8080";

    /// <summary>The label every sandbox Pod carries, so the operator watches and caches only those Pods.</summary>
    public const string ManagedByLabelSelector = SandboxNames.ManagedByLabel + "=" + SandboxNames.ManagedByValue;

    /// <summary>Resource type of <see cref="CodeExecution"/>.</summary>
    public static readonly ResourceType CodeExecutionResource =
        new(ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeExecutionPlural, ApiConstants.CodeExecutionKind);

    /// <summary>Resource type of <see cref="CodeRuntime"/> (cluster-scoped).</summary>
    public static readonly ResourceType CodeRuntimeResource =
        new(ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural, ApiConstants.CodeRuntimeKind, Namespaced: false);

    /// <summary>Builds and runs the operator until it is stopped (SIGTERM, Ctrl+C). Returns the process exit code.</summary>
    /// <remarks>A missing cluster configuration or unusable settings end it with exit code 2 and one clear line on stderr.</remarks>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            await using var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (KubeConfigException e)
        {
            await Console.Error.WriteLineAsync(
                $"codeexec-operator: no cluster to talk to: {e.Message}. Set KUBECONFIG, pass --Operator:Kubernetes:KubeConfig=PATH, or run in a pod.");
            return 2;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"codeexec-operator: invalid settings: {string.Join("; ", e.Failures)}");
            return 2;
        }
    }

    /// <summary>Builds the operator host; <paramref name="configureServices"/> may replace services (tests do).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configureServices = null)
    {
        // appsettings.json is read from beside the binary, not from the working directory: `dotnet run` runs the
        // program in the directory it was started from (see the csproj's RunWorkingDirectory), the image in /app.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        builder.Services.AddOperator(builder.Configuration);
        configureServices?.Invoke(builder);
        var app = builder.Build();
        MapEndpoints(app);
        return app;
    }

    /// <summary>
    /// Registers everything the operator runs: options (<see cref="OperatorOptions"/> under <c>Operator</c>, and
    /// <see cref="SandboxOptions"/> under <c>Sandbox</c>, checked at start), OpenTelemetry (<see cref="OperatorTelemetrySetup"/>),
    /// the rate-limited and metered Kubernetes client, the controller machinery,
    /// the watches of CodeExecutions (outputs trimmed from the cache), CodeRuntimes and sandbox Pods, and the
    /// controllers. The CodeExecution controller is added here with
    /// <c>services.AddController&lt;CodeExecution, TReconciler&gt;(c =&gt; c.Owns&lt;V1Pod&gt;().Owns&lt;V1NetworkPolicy&gt;())</c>.
    /// </summary>
    public static IServiceCollection AddOperator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(OperatorOptions.SectionName);
        services.Configure<OperatorOptions>(section);
        services.Configure<KubernetesClientOptions>(section.GetSection(nameof(OperatorOptions.Kubernetes)));
        services.Configure<ControllerOptions>(section.GetSection(nameof(OperatorOptions.Controller)));
        services.Configure<LeaderElectionOptions>(section.GetSection(nameof(OperatorOptions.LeaderElection)));
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidation>();
        services.Configure<HostOptions>(host =>
        {
            var controller = section.GetSection(nameof(OperatorOptions.Controller)).Get<ControllerOptions>() ?? new ControllerOptions();
            host.ShutdownTimeout = controller.GracefulShutdownTimeout + TimeSpan.FromSeconds(10);
        });

        services.AddOperatorTelemetry(configuration);
        services.AddControllerRuntime();
        services.AddKubernetesClient(provider =>
        {
            var options = provider.GetRequiredService<IOptions<KubernetesClientOptions>>().Value;
            return KubernetesClientFactory.Create(KubernetesClientFactory.LoadConfiguration(options), options,
                provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IMeterFactory>());
        });

        services.AddWatchedResource<CodeExecution>(watch =>
        {
            watch.Resource = CodeExecutionResource;
            watch.Trim = CacheTrimming.TrimCodeExecution;
        });
        services.AddWatchedResource<CodeRuntime>(watch => watch.Resource = CodeRuntimeResource);
        services.AddWatchedResource<k8s.Models.V1Pod>(watch => watch.LabelSelector = ManagedByLabelSelector);
        services.AddCodeExecutionController(section, ManagedByLabelSelector);
        return services;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessCheck.Tag) });
        OperatorTelemetrySetup.MapMetrics(app);
    }
}
