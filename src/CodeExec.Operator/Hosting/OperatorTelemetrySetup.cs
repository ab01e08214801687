using System.Diagnostics.Metrics;
using CodeExec.Operator.Controller.Metrics;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CodeExec.Operator.Hosting;

/// <summary>The operator's OpenTelemetry wiring: metrics on <c>/metrics</c>, and optional OTLP export of traces and metrics.</summary>
internal static class OperatorTelemetrySetup
{
    /// <summary>The standard variable (and configuration key) that turns OTLP export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The .NET runtime's built-in meter (GC, CPU, memory, thread pool: the <c>dotnet_*</c> metrics).</summary>
    public const string RuntimeMeter = "System.Runtime";

    /// <summary>
    /// Registers OpenTelemetry: a MeterProvider for the meter <see cref="OperatorTelemetry.Name"/> and the runtime's,
    /// read by the Prometheus exporter (served by <see cref="MapMetrics"/>), and, when
    /// <see cref="OtlpEndpoint"/> is set, an OTLP exporter for those metrics and a TracerProvider for the
    /// ActivitySource <see cref="OperatorTelemetry.Name"/> (one activity per reconcile). Resource: service.name
    /// <c>codeexec-operator</c> (plus <c>OTEL_RESOURCE_ATTRIBUTES</c>).
    /// </summary>
    public static IServiceCollection AddOperatorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = OtlpEndpoint(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("codeexec-operator"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(OperatorTelemetry.Name, RuntimeMeter);
                // A MeterProvider listens to every meter of its name in the process. Where several hosts share one
                // process (tests), each exports only the instruments of its own IMeterFactory.
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
                {
                    var own = provider.GetRequiredService<IMeterFactory>();
                    builder.AddView(instrument => instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own)
                        ? MetricStreamConfiguration.Drop
                        : null);
                });
                // Each scrape collects afresh (the exporter's default caches a scrape for 300 ms).
                metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (endpoint is not null)
                {
                    metrics.AddOtlpExporter(otlp => UseEndpoint(otlp, configuration));
                }
            });
        if (endpoint is not null)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(OperatorTelemetry.Name)
                .AddOtlpExporter(otlp => UseEndpoint(otlp, configuration)));
        }

        return services;
    }

    /// <summary>Serves the Prometheus text of the MeterProvider on <c>/metrics</c>.</summary>
    public static void MapMetrics(IEndpointRouteBuilder app) => app.MapPrometheusScrapingEndpoint("/metrics");

    /// <summary>
    /// The OTLP endpoint: <c>Operator:Telemetry:OtlpEndpoint</c>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>; null (OTLP off) when neither is set.
    /// </summary>
    public static string? OtlpEndpoint(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var setting = configuration[$"{OperatorOptions.SectionName}:{nameof(OperatorOptions.Telemetry)}:{nameof(TelemetryOptions.OtlpEndpoint)}"];
        return !string.IsNullOrWhiteSpace(setting) ? setting
            : !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]) ? configuration[OtlpEndpointVariable]
            : null;
    }

    // The exporter reads OTEL_EXPORTER_OTLP_* itself; the operator's own setting, when given, wins for the endpoint.
    private static void UseEndpoint(OtlpExporterOptions otlp, IConfiguration configuration)
    {
        var setting = configuration[$"{OperatorOptions.SectionName}:{nameof(OperatorOptions.Telemetry)}:{nameof(TelemetryOptions.OtlpEndpoint)}"];
        if (!string.IsNullOrWhiteSpace(setting))
        {
            otlp.Endpoint = new Uri(setting);
        }
    }
}
