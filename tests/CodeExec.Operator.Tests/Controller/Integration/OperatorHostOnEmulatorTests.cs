using System.Net;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CodeExec.Operator.Tests.Controller.Integration.EmulatedCluster;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>The operator host (one replica, leader election off) on the API emulator: events reach the reconciler, endpoints answer.</summary>
public sealed class OperatorHostOnEmulatorTests : IAsyncLifetime
{
    private readonly ReconcileRecorder _recorder = new();
    private KubernetesEmulator _emulator = null!;
    private Kubernetes _client = null!;
    private WebApplication _operator = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        _client = _emulator.CreateClient();
        await CreateExecutionAsync(_client, "existing");
        _operator = await StartOperatorAsync(_emulator, _recorder, "--Operator:Controller:MaxConcurrentReconciles=2");
        _http = new HttpClient { BaseAddress = Address(_operator) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _operator.StopAsync(CancellationToken.None);
        await _operator.DisposeAsync();
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Existing_and_new_CodeExecutions_are_reconciled_by_key()
    {
        await EventuallyAsync(() => _recorder.Saw(new ObjectKey("default", "existing")), "the existing execution reconciled at start");

        await CreateExecutionAsync(_client, "fresh");

        await EventuallyAsync(() => _recorder.Saw(new ObjectKey("default", "fresh")), "the new execution reconciled");
    }

    [Fact]
    public async Task An_owned_sandbox_pod_event_reconciles_its_CodeExecution_and_unmanaged_pods_are_not_even_cached()
    {
        var owner = await CreateExecutionAsync(_client, "owner");
        await EventuallyAsync(() => _recorder.Saw(new ObjectKey("default", "owner")));
        var pods = _operator.Services.GetRequiredService<IObjectCache<V1Pod>>();

        await CreatePodAsync(_client, "stray", owner: null, managed: false);
        await CreatePodAsync(_client, "owner-sandbox", owner);
        await EventuallyAsync(() => pods.Find(new ObjectKey("default", "owner-sandbox")) is not null);
        var before = _recorder.Keys.Count(key => key.Name == "owner");
        await _client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), "owner-sandbox", "default", cancellationToken: Ct);

        await EventuallyAsync(() => _recorder.Keys.Count(key => key.Name == "owner") > before, "the pod change reconciled its owner");
        Assert.Null(pods.Find(new ObjectKey("default", "stray")));
        Assert.Equal(pods.ListControlledBy(owner.Metadata.Uid).Select(pod => pod.Metadata.Name), ["owner-sandbox"]);
    }

    [Fact]
    public async Task The_cache_holds_CodeExecutions_without_their_outputs()
    {
        await CreateExecutionAsync(_client, "talkative");
        // A real API server records managedFields on every write; the emulator keeps only what a client sends.
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"codeexec.dev/v1alpha1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]}}""", V1Patch.PatchType.MergePatch),
            CodeExec.Api.ApiConstants.Group, CodeExec.Api.ApiConstants.Version, "default", CodeExec.Api.ApiConstants.CodeExecutionPlural,
            "talkative", cancellationToken: Ct);
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Succeeded","stdout":"lots of output","stdoutBytes":14}}""", V1Patch.PatchType.MergePatch),
            CodeExec.Api.ApiConstants.Group, CodeExec.Api.ApiConstants.Version, "default", CodeExec.Api.ApiConstants.CodeExecutionPlural,
            "talkative", cancellationToken: Ct);
        var cache = _operator.Services.GetRequiredService<IObjectCache<CodeExec.Api.CodeExecution>>();

        await EventuallyAsync(() => cache.Find(new ObjectKey("default", "talkative"))?.Status?.Phase == "Succeeded");

        var cached = cache.Find(new ObjectKey("default", "talkative"))!;
        Assert.Null(cached.Status!.Stdout);
        Assert.Equal(14, cached.Status.StdoutBytes);
        Assert.Null(cached.Metadata.ManagedFields);
    }

    [Fact]
    public async Task Health_readiness_and_metrics_endpoints_answer()
    {
        await EventuallyAsync(() => _recorder.Saw(new ObjectKey("default", "existing")));

        var live = await _http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        var ready = await _http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var metrics = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var samples = PrometheusText.Parse(metrics);
        Assert.Contains(samples, s => s.Name == "codeexec_controller_reconcile_total" && s.Has(("controller", "CodeExecution"), ("result", "success")));
        Assert.Contains(samples, s => s.Name == "codeexec_controller_leader" && s.Value == 1);
        Assert.Contains(samples, s => s.Name == "codeexec_controller_cached_objects" && s.Has(("resource", "codeexecutions.codeexec.dev")));
    }
}

/// <summary>Graceful shutdown: the host stops taking keys and cancels a reconcile still running past the grace period.</summary>
public sealed class GracefulShutdownOnEmulatorTests
{
    [Fact]
    public async Task A_reconcile_running_past_the_grace_period_is_cancelled_and_the_host_stops()
    {
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        using var client = emulator.CreateClient();
        var recorder = new ReconcileRecorder { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var app = await StartOperatorAsync(emulator, recorder, "--Operator:Controller:GracefulShutdownTimeout=00:00:00.5");
        await CreateExecutionAsync(client, "stuck");
        await EventuallyAsync(() => recorder.Saw(new ObjectKey("default", "stuck")), "the reconcile started");

        await app.StopAsync(Ct);

        Assert.True(recorder.Cancelled.Task.IsCompleted, "the running reconcile was cancelled");
        Assert.Equal(new ObjectKey("default", "stuck"), await recorder.Cancelled.Task);
    }

    [Fact]
    public async Task A_reconcile_that_ends_within_the_grace_period_finishes_normally()
    {
        await using var emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);
        using var client = emulator.CreateClient();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new ReconcileRecorder { Gate = gate };
        await using var app = await StartOperatorAsync(emulator, recorder, "--Operator:Controller:GracefulShutdownTimeout=00:01:00");
        await CreateExecutionAsync(client, "quick");
        await EventuallyAsync(() => recorder.Saw(new ObjectKey("default", "quick")), "the reconcile started");

        var stopping = app.StopAsync(Ct);
        Assert.False(stopping.IsCompleted, "the host waits for the running reconcile");
        gate.SetResult();
        await stopping;

        Assert.False(recorder.Cancelled.Task.IsCompleted);
    }
}
