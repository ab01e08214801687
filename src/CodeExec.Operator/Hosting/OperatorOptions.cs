using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.LeaderElection;

namespace CodeExec.Operator.Hosting;

/// <summary>
/// The operator's settings: configuration section <c>Operator</c>, from appsettings.json, then environment variables
/// (<c>Operator__Controller__MaxConcurrentReconciles=8</c>), then the command line
/// (<c>--Operator:LeaderElection:Enabled=true</c>). Each part is also bound on its own, so a service can take
/// <c>IOptions&lt;ControllerOptions&gt;</c>. Add settings of the CodeExecution logic as further sections here.
/// </summary>
public sealed class OperatorOptions
{
    /// <summary>The configuration section that holds these settings.</summary>
    public const string SectionName = "Operator";

    /// <summary>How to reach the API server and how fast to talk to it.</summary>
    public KubernetesClientOptions Kubernetes { get; set; } = new();

    /// <summary>Workers, retries, watches and shutdown of the controllers.</summary>
    public ControllerOptions Controller { get; set; } = new();

    /// <summary>Leader election between replicas.</summary>
    public LeaderElectionOptions LeaderElection { get; set; } = new();

    /// <summary>Where traces and metrics go besides <c>/metrics</c>.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();
}

/// <summary>
/// Telemetry export (section <c>Operator:Telemetry</c>). <c>/metrics</c> (Prometheus text, OpenTelemetry's exporter)
/// is always served; OTLP export of traces and metrics is on when <see cref="OtlpEndpoint"/> or the standard variable
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and off by default.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// The OTLP collector, for example <c>http://otel-collector.monitoring:4317</c> (gRPC, OpenTelemetry's default
    /// protocol). Null or empty: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> decides, and the other standard <c>OTEL_EXPORTER_OTLP_*</c>
    /// variables (protocol, headers, timeout) apply either way.
    /// </summary>
    public string? OtlpEndpoint { get; set; }
}

/// <summary>How the operator reaches the API server (section <c>Operator:Kubernetes</c>).</summary>
public sealed class KubernetesClientOptions
{
    /// <summary>Path of a kubeconfig file. Null: in cluster when running in a pod, else $KUBECONFIG or ~/.kube/config.</summary>
    public string? KubeConfig { get; set; }

    /// <summary>The kubeconfig context to use. Null: its current context.</summary>
    public string? Context { get; set; }

    /// <summary>True forces the in-cluster service account configuration; null detects it.</summary>
    public bool? InCluster { get; set; }

    /// <summary>Requests per second the client sends on average (client-go's QPS).</summary>
    public double Qps { get; set; } = 50;

    /// <summary>Requests the client may send at once above <see cref="Qps"/> (client-go's burst).</summary>
    public int Burst { get; set; } = 100;

    /// <summary>Timeout of one API request (watches excepted).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
