using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

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

    /// <summary>The advice every duration histogram is created with: <see cref="SecondsBuckets"/> as its bucket boundaries.</summary>
    public static InstrumentAdvice<double> SecondsAdvice => new() { HistogramBucketBoundaries = SecondsBuckets };

    /// <summary>The measurements of an observable gauge kept as label value → value: one per entry, labelled <paramref name="label"/>.</summary>
    public static IEnumerable<Measurement<long>> Observe(ConcurrentDictionary<string, long> values, string label) =>
        values.Select(pair => new Measurement<long>(pair.Value, KeyValuePair.Create<string, object?>(label, pair.Key)));
}
