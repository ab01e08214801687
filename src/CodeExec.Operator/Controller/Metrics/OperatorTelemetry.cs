using System.Diagnostics;

namespace CodeExec.Operator.Controller.Metrics;

/// <summary>
/// The names under which the operator reports telemetry: one <see cref="System.Diagnostics.Metrics.Meter"/> (created
/// through <see cref="System.Diagnostics.Metrics.IMeterFactory"/>) and one <see cref="System.Diagnostics.ActivitySource"/>,
/// both called <see cref="Name"/>. The host exports the meter on <c>/metrics</c> (OpenTelemetry's Prometheus exporter)
/// and, with an OTLP endpoint configured, both over OTLP.
/// </summary>
internal static class OperatorTelemetry
{
    /// <summary>The name of the operator's Meter and ActivitySource.</summary>
    public const string Name = "CodeExec.Operator";

    /// <summary>One activity per reconcile (<c>reconcile CodeExecution</c>); created only while a listener (OTLP tracing) is on.</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Histogram buckets in seconds for durations from milliseconds to minutes.</summary>
    public static readonly IReadOnlyList<double> SecondsBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
}
