using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Models;
using WatchEventType = k8s.WatchEventType;

namespace CodeExec.Benchmarks;

/// <summary>Latency figures of one phase of the lifecycle.</summary>
internal sealed record LatencySummary(TimeSpan Median, TimeSpan P99, TimeSpan Max)
{
    public static LatencySummary Of(IEnumerable<TimeSpan> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new LatencySummary(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        }

        return new LatencySummary(sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], sorted[^1]);
    }
}

/// <summary>What one benchmark run measured.</summary>
/// <param name="ApiOnlyThroughput">Create + read + delete per second with no scheduler or kubelet: the emulator's share.</param>
internal sealed record BenchmarkResult(
    int Completed,
    int Failed,
    TimeSpan Elapsed,
    LatencySummary Lifecycle,
    LatencySummary ToSucceeded,
    LatencySummary LogAndDelete,
    long ManagedHeapBytes,
    long AllocatedBytes,
    double ApiOnlyThroughput);

/// <summary>
/// Creates pods, waits (through one shared watch, as an operator's informer would) until each is Succeeded, reads its
/// log, deletes it. The emulator, the scheduler and the kubelet run in this process and talk over real HTTP.
/// </summary>
internal static class PodLifecycleBenchmark
{
    private const string Namespace = "default";

    public static async Task<BenchmarkResult> RunAsync(int pods, int concurrency)
    {
        await using var emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions { LoadRepositoryCrds = false });
        var runner = PodRunners.Scripted();
        runner.Script(_ => true, ScriptedPod.AllContainers(new ScriptedContainer { Stdout = "hello from the benchmark\n"u8.ToArray() }));
        await using var node = await SimulatedNode.StartAsync(emulator.CreateClient(), emulator.Logs, runner);
        var client = emulator.CreateClient();

        var succeeded = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        using var stopWatch = new CancellationTokenSource();
        var watch = WatchSucceededAsync(client, succeeded, stopWatch.Token);

        var lifecycle = new ConcurrentBag<TimeSpan>();
        var toSucceeded = new ConcurrentBag<TimeSpan>();
        var logAndDelete = new ConcurrentBag<TimeSpan>();
        var failed = 0;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var name = $"bench-{i}";
            var done = succeeded.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var start = Stopwatch.GetTimestamp();
            try
            {
                await client.CoreV1.CreateNamespacedPodAsync(Pod(name), Namespace, cancellationToken: ct);
                await done.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
                var ran = Stopwatch.GetElapsedTime(start);
                using var log = await client.CoreV1.ReadNamespacedPodLogAsync(name, Namespace, cancellationToken: ct);
                using var reader = new StreamReader(log, Encoding.UTF8);
                var text = await reader.ReadToEndAsync(ct);
                await client.CoreV1.DeleteNamespacedPodAsync(name, Namespace, cancellationToken: ct);
                var total = Stopwatch.GetElapsedTime(start);
                if (text != "hello from the benchmark\n")
                {
                    throw new InvalidOperationException($"{name}: unexpected log {text}");
                }

                toSucceeded.Add(ran);
                logAndDelete.Add(total - ran);
                lifecycle.Add(total);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (Interlocked.Increment(ref failed) <= 5)
                {
                    Console.WriteLine($"{name} failed: {e.GetType().Name}: {e.Message}");
                }
            }
            finally
            {
                succeeded.TryRemove(name, out _);
            }
        });
        var elapsed = clock.Elapsed;
        await stopWatch.CancelAsync();
        await watch;
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        var apiOnly = await ApiOnlyThroughputAsync(Math.Min(pods, 2_000), concurrency);
        return new BenchmarkResult(lifecycle.Count, failed, elapsed, LatencySummary.Of(lifecycle), LatencySummary.Of(toSucceeded),
            LatencySummary.Of(logAndDelete), heap, allocated, apiOnly);
    }

    /// <summary>The same pods created, read and deleted on a fresh emulator with no node: how fast the API side alone goes.</summary>
    private static async Task<double> ApiOnlyThroughputAsync(int pods, int concurrency)
    {
        await using var emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions { LoadRepositoryCrds = false });
        var client = emulator.CreateClient();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var name = $"api-{i}";
            await client.CoreV1.CreateNamespacedPodAsync(Pod(name), Namespace, cancellationToken: ct);
            await client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: ct);
            await client.CoreV1.DeleteNamespacedPodAsync(name, Namespace, cancellationToken: ct);
        });
        return pods / clock.Elapsed.TotalSeconds;
    }

    /// <summary>An informer of the benchmark's pods: list, then watch; after an ERROR (410 Gone) or a closed watch, list again.</summary>
    private static async Task WatchSucceededAsync(Kubernetes client, ConcurrentDictionary<string, TaskCompletionSource> succeeded, CancellationToken cancellationToken)
    {
        void Seen(V1Pod pod)
        {
            if (pod.Status?.Phase == "Succeeded" && succeeded.TryGetValue(pod.Metadata.Name, out var done))
            {
                done.TrySetResult();
            }
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var list = await client.CoreV1.ListNamespacedPodAsync(Namespace, cancellationToken: cancellationToken);
                foreach (var pod in list.Items)
                {
                    Seen(pod);
                }

                try
                {
                    await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(Namespace, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cancellationToken))
                    {
                        if (type == WatchEventType.Error)
                        {
                            break;
                        }

                        Seen(pod);
                    }
                }
                catch (Exception e) when (e is KubernetesException or k8s.Autorest.HttpOperationException or HttpRequestException or IOException)
                {
                    // Relist.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            RestartPolicy = "Never",
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.36", Command = ["echo", "hello"] }],
        },
    };
}
