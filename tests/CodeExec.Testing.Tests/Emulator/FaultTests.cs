using System.Diagnostics;
using System.Net;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Each fault a test can switch on, triggered and observed through KubernetesClient.</summary>
public sealed class FaultTests : EmulatorTest
{
    protected override EmulatorOptions Options() => new EmulatorOptions { LoadRepositoryCrds = false };

    protected override void Prepare(KubernetesEmulator emulator) => emulator.LoadCrdYaml(Semantics.ApiTarget.WidgetCrdYaml);

    private async Task<HttpStatusCode> TryListAsync()
    {
        try
        {
            await Client.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
            return HttpStatusCode.OK;
        }
        catch (HttpOperationException e)
        {
            return e.Response.StatusCode;
        }
    }

    [Fact]
    public async Task Random_failures_are_repeatable_for_a_seed_and_stop_on_reset()
    {
        async Task<List<HttpStatusCode>> RunAsync()
        {
            Emulator.Faults.FailRandomly(0.5, 500, seed: 7);
            var outcomes = new List<HttpStatusCode>();
            for (var i = 0; i < 20; i++)
            {
                outcomes.Add(await TryListAsync());
            }

            return outcomes;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains(HttpStatusCode.InternalServerError, first);
        Assert.Contains(HttpStatusCode.OK, first);
        Emulator.Faults.Reset();
        Assert.Equal(HttpStatusCode.OK, await TryListAsync());
    }

    [Fact]
    public async Task Throttling_answers_429_with_retry_after()
    {
        Emulator.Faults.FailRandomly(1, 429, retryAfter: TimeSpan.FromSeconds(3));

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.ListNamespacedPodAsync("default", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.Response.StatusCode);
        Assert.Equal("3", error.Response.Headers["Retry-After"].Single());
        Assert.Contains("\"reason\":\"TooManyRequests\"", error.Response.Content, StringComparison.Ordinal);
        Assert.Contains("\"retryAfterSeconds\":3", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_verb_on_one_subresource_fails_the_given_number_of_times()
    {
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new Dictionary<string, object> { ["apiVersion"] = "semantics.codeexec.dev/v1", ["kind"] = "Widget", ["metadata"] = new Dictionary<string, object> { ["name"] = "w" } },
            "semantics.codeexec.dev", "v1", "default", "widgets", cancellationToken: Ct);
        Emulator.Faults.FailRequests("PATCH", "widgets/status", 409, times: 1);
        var patch = new V1Patch("{\"status\":{\"phase\":\"Done\"}}", V1Patch.PatchType.MergePatch);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, "semantics.codeexec.dev", "v1", "default", "widgets", "w", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"size\":2}}", V1Patch.PatchType.MergePatch),
            "semantics.codeexec.dev", "v1", "default", "widgets", "w", cancellationToken: Ct);
        await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, "semantics.codeexec.dev", "v1", "default", "widgets", "w", cancellationToken: Ct);
        Assert.Equal(1, Emulator.Faults.InjectedFailures);
    }

    [Fact]
    public async Task A_failure_can_answer_with_the_Status_reason_and_message_of_an_admission_refusal()
    {
        const string Message = "pods \"x\" is forbidden: exceeded quota: q, requested: limits.memory=2Gi, used: limits.memory=9Gi, limited: limits.memory=10Gi";
        Emulator.Faults.FailRequests("POST", "pods", 403, times: 1, message: Message);
        Emulator.Faults.FailRequests("POST", "configmaps", 422, times: 1, message: "ConfigMap \"c\" is invalid: data: Too long", reason: "Invalid");
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "x" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] } };

        var forbidden = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct));
        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(forbidden.Response.Content);
        Assert.Equal(("Forbidden", Message, 403), (status.Reason, status.Message, status.Code));
        Assert.Equal((HttpStatusCode)422, invalid.Response.StatusCode);
        Assert.Equal("Invalid", KubernetesJson.Deserialize<V1Status>(invalid.Response.Content).Reason);
        await Client.CreateNamespacedPodAsync(pod, "default", cancellationToken: Ct);
    }

    [Fact]
    public async Task Latency_delays_every_request()
    {
        Emulator.Faults.Latency = TimeSpan.FromMilliseconds(300);

        var watch = Stopwatch.StartNew();
        await Client.ListNamespacedPodAsync("default", cancellationToken: Ct);

        // Task.Delay's timer can fire a millisecond or so before the Stopwatch sees 300 ms (CI once measured 299.2 ms);
        // without the latency the request takes a few milliseconds, so 280 ms still shows the delay.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(280), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_closed_watch_is_resumed_by_a_new_watch_from_the_last_resource_version()
    {
        var list = await Client.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        var seen = new List<string>();
        var lastRv = list.Metadata.ResourceVersion;
        var first = Task.Run(async () =>
        {
            await foreach (var (_, cm) in Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: lastRv, cancellationToken: Ct))
            {
                seen.Add(cm.Metadata.Name);
                lastRv = cm.Metadata.ResourceVersion;
            }
        }, Ct);
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "before" } }, "default", cancellationToken: Ct);
        for (var i = 0; i < 200 && seen.Count == 0; i++)
        {
            await Task.Delay(20, Ct);
        }

        Assert.Equal(1, Emulator.Faults.CloseAllWatches());
        await first.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after" } }, "default", cancellationToken: Ct);
        await foreach (var (_, cm) in Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: lastRv, cancellationToken: Ct))
        {
            seen.Add(cm.Metadata.Name);
            break;
        }

        Assert.Equal(["before", "after"], seen);
    }
}
