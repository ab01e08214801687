using CodeExec.Api;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet.Scripted;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Hosting;

/// <summary>
/// The operator's <c>/metrics</c> as OpenTelemetry's Prometheus exporter renders it (names with unit suffixes and
/// <c>_total</c>, labels), scraped from the real host after one execution ran through the emulator and its simulated kubelet.
/// </summary>
public sealed class OperatorTelemetryTests : IAsyncLifetime
{
    private SandboxCluster _cluster = null!;
    private RunningOperator _operator = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync();
        _operator = await _cluster.StartOperatorAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Metrics_of_one_execution_carry_the_rendered_names_labels_and_units()
    {
        _cluster.ScriptSandbox("metered", new ScriptedContainer { ExitCode = 0, Duration = TimeSpan.FromMilliseconds(100) }, "hi\n");
        await _cluster.CreateExecutionAsync("metered", code: "print('hi')");
        var done = await _cluster.WaitForFinalAsync("metered");
        Assert.Equal(ExecutionPhase.Succeeded, done.Status!.Phase);

        var text = await ScrapeAsync();
        var samples = PrometheusText.Parse(text);

        Assert.Contains("# TYPE codeexec_executions_finished_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE codeexec_execution_stage_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains(samples, s => s.Name == "codeexec_executions_finished_total" && s.Value >= 1
            && s.Has(("runtime", "python"), ("phase", "Succeeded"), ("reason", "Completed")));
        Assert.Contains(samples, s => s.Name == "codeexec_executions_started_total" && s.Value >= 1 && s.Has(("runtime", "python")));
        Assert.Contains(samples, s => s.Name == "codeexec_sandbox_pods_created_total" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "codeexec_execution_duration_seconds_count" && s.Value >= 1);
        foreach (var stage in new[] { "admitted", "pod_created", "scheduled", "code_started", "code_finished", "status_written" })
        {
            Assert.Contains(samples, s => s.Name == "codeexec_execution_stage_duration_seconds_count" && s.Value >= 1 && s.Has(("stage", stage)));
        }

        Assert.Contains(samples, s => s.Name == "codeexec_execution_stage_duration_seconds_bucket" && s.Has(("stage", "code_finished"), ("le", "+Inf")));
        // The code ended after it started: the stages are measured from the same creationTimestamp.
        Assert.True(Sum(samples, "code_finished") >= Sum(samples, "code_started"));

        Assert.Contains(samples, s => s.Name == "codeexec_kubernetes_api_requests_total" && s.Has(("verb", "create"), ("resource", "pods"), ("code", "201")));
        Assert.Contains(samples, s => s.Name == "codeexec_kubernetes_api_requests_total" && s.Has(("verb", "update"), ("resource", "codeexecutions/status"), ("code", "200")));
        Assert.Contains(samples, s => s.Name == "codeexec_kubernetes_api_requests_total" && s.Has(("verb", "watch"), ("resource", "pods"), ("code", "200")));
        Assert.Contains(samples, s => s.Name == "codeexec_kubernetes_api_request_duration_seconds_count" && s.Has(("verb", "get"), ("resource", "pods/log")));

        Assert.Contains(samples, s => s.Name == "codeexec_controller_reconcile_duration_seconds_bucket" && s.Has(("controller", "CodeExecution"), ("le", "0.005")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_reconcile_total" && s.Has(("controller", "CodeExecution"), ("result", "success")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_workqueue_wait_duration_seconds_count" && s.Has(("controller", "CodeExecution")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_workqueue_depth" && s.Has(("controller", "CodeExecution")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_active_reconciles" && s.Has(("controller", "CodeExecution")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_cached_objects" && s.Has(("resource", "codeexecutions.codeexec.dev")));
        Assert.Contains(samples, s => s.Name == "dotnet_process_cpu_time_seconds_total");

        // Only this host's instruments: other operator hosts of the test run (same process, same meter name) are not exported here.
        Assert.Equal(1, samples.Where(s => s.Name == "codeexec_executions_finished_total").Sum(s => s.Value));

        // Bounded label values: no label anywhere carries the execution's name or UID.
        Assert.DoesNotContain(samples, s => s.Labels.Values.Any(v => v.Contains("metered", StringComparison.Ordinal) || v.Contains(done.Metadata.Uid, StringComparison.Ordinal)));
    }

    private static double Sum(IEnumerable<PrometheusSample> samples, string stage) =>
        samples.Single(s => s.Name == "codeexec_execution_stage_duration_seconds_sum" && s.Has(("stage", stage))).Value;

    private async Task<string> ScrapeAsync()
    {
        var address = _operator.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
    }
}

/// <summary>The host's telemetry and logging settings, read from a built (not started) host.</summary>
public sealed class OperatorTelemetrySettingsTests
{
    [Fact]
    public async Task Logs_carry_scopes_and_Logging_Console_FormatterName_json_switches_to_JSON()
    {
        await using var text = OperatorHost.Build([]);
        await using var json = OperatorHost.Build(["--Logging:Console:FormatterName=json"]);

        Assert.Equal("simple", text.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(text.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
        Assert.Equal("json", json.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(json.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
    }

    [Fact]
    public async Task Traces_are_exported_only_with_an_OTLP_endpoint()
    {
        await using var plain = OperatorHost.Build([]);
        await using var exporting = OperatorHost.Build(["--Operator:Telemetry:OtlpEndpoint=http://127.0.0.1:4317"]);

        Assert.Null(plain.Services.GetService<TracerProvider>());
        Assert.NotNull(exporting.Services.GetService<TracerProvider>());
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("http://a:4317", null, "http://a:4317")]
    [InlineData(null, "http://b:4317", "http://b:4317")]
    [InlineData("http://a:4317", "http://b:4317", "http://a:4317")]
    [InlineData(" ", "", null)]
    public void The_OTLP_endpoint_is_the_operator_setting_else_the_standard_variable(string? setting, string? variable, string? expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Operator:Telemetry:OtlpEndpoint"] = setting,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = variable,
        }).Build();

        Assert.Equal(expected, OperatorTelemetrySetup.OtlpEndpoint(configuration));
    }
}
