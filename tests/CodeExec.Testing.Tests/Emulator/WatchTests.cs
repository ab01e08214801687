using System.Net;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Watches of built-in kinds through KubernetesClient's own watch machinery, and the watch-related faults.</summary>
public sealed class WatchTests : EmulatorTest
{
    protected override EmulatorOptions Options() => new EmulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task Pod_watch_sees_added_modified_deleted_in_order()
    {
        var list = await Client.ListNamespacedPodAsync("default", cancellationToken: Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = new List<(WatchEventType, string, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, pod) in Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, cancellationToken: stop.Token))
            {
                events.Add((type, pod.Metadata.Name, pod.Status?.Phase ?? ""));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        }, Ct);

        await Client.CreateNamespacedPodAsync(CoreKindTests.Pod("w"), "default", cancellationToken: Ct);
        var pod = await Client.ReadNamespacedPodAsync("w", "default", cancellationToken: Ct);
        pod.Status.Phase = "Running";
        await Client.ReplaceNamespacedPodStatusAsync(pod, "w", "default", cancellationToken: Ct);
        await Client.DeleteNamespacedPodAsync("w", "default", cancellationToken: Ct);

        await watching.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(
            [(WatchEventType.Added, "w", "Pending"), (WatchEventType.Modified, "w", "Running"), (WatchEventType.Deleted, "w", "Running")],
            events);
    }

    [Fact]
    public async Task Label_selector_watch_turns_leaving_the_selection_into_deleted()
    {
        var configMap = await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cm", Labels = new Dictionary<string, string> { ["app"] = "a" } },
        }, "default", cancellationToken: Ct);
        var lines = await WatchLinesAsync($"/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Da&resourceVersion={configMap.Metadata.ResourceVersion}&timeoutSeconds=2",
            async () =>
            {
                configMap.Metadata.Labels["app"] = "b";
                configMap = await Client.ReplaceNamespacedConfigMapAsync(configMap, "cm", "default", cancellationToken: Ct);
                configMap.Metadata.Labels["app"] = "a";
                await Client.ReplaceNamespacedConfigMapAsync(configMap, "cm", "default", cancellationToken: Ct);
            });

        Assert.Equal(["DELETED", "ADDED"], lines.Select(l => l["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Watch_from_a_compacted_resource_version_gets_an_error_event_with_410()
    {
        var first = await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "old" } }, "default", cancellationToken: Ct);
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "new" } }, "default", cancellationToken: Ct);
        Emulator.Faults.CompactHistory();

        var lines = await WatchLinesAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={first.Metadata.ResourceVersion}", () => Task.CompletedTask);

        var error = Assert.Single(lines);
        Assert.Equal("ERROR", error["type"]!.GetValue<string>());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", error["object"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bookmarks_carry_the_current_resource_version()
    {
        var created = await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, "default", cancellationToken: Ct);
        var lines = await WatchLinesAsync($"/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion={created.Metadata.ResourceVersion}&timeoutSeconds=1",
            () => Task.CompletedTask);

        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal("BOOKMARK", l["type"]!.GetValue<string>()));
        Assert.All(lines, l => Assert.Equal(Emulator.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), l["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Closing_all_watches_ends_open_streams()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(Emulator.BaseUri, "/api/v1/namespaces/default/pods?watch=true"), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        var read = stream.ReadAsync(new byte[64], Ct).AsTask();

        Assert.Equal(1, Emulator.Faults.CloseAllWatches());
        Assert.Equal(0, await read.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    private async Task<List<JsonNode>> WatchLinesAsync(string path, Func<Task> whileOpen)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(Emulator.BaseUri, path), HttpCompletionOption.ResponseHeadersRead, Ct);
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        using var reader = new StreamReader(stream);
        await whileOpen();
        var lines = new List<JsonNode>();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            lines.Add(JsonNode.Parse(line)!);
        }

        return lines;
    }
}
