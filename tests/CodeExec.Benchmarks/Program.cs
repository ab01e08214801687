// Pushes pod lifecycles through the API emulator and the scripted simulated kubelet, as the operator would drive
// them (create, schedule, run, succeed, read log, delete), and prints throughput, latency and memory. Figures are
// printed, never asserted. Usage: dotnet run -c Release --project tests/CodeExec.Benchmarks -- [pods] [concurrency]
using System.Diagnostics;
using System.Globalization;
using CodeExec.Benchmarks;

var pods = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
Console.WriteLine($"Pod lifecycle benchmark: {pods} pods, {concurrency} at a time, emulator + scripted kubelet over HTTP");
Console.WriteLine($"Runtime {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");

var result = await PodLifecycleBenchmark.RunAsync(pods, concurrency);

static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
Console.WriteLine();
Console.WriteLine($"lifecycles completed   {result.Completed} of {pods} ({result.Failed} failed)");
Console.WriteLine($"wall time              {result.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
Console.WriteLine($"throughput             {(result.Completed / result.Elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)} lifecycles/s");
Console.WriteLine($"lifecycle latency      median {Ms(result.Lifecycle.Median)}, p99 {Ms(result.Lifecycle.P99)}, max {Ms(result.Lifecycle.Max)}");
Console.WriteLine($"  create -> Succeeded  median {Ms(result.ToSucceeded.Median)}, p99 {Ms(result.ToSucceeded.P99)}");
Console.WriteLine($"  read log + delete    median {Ms(result.LogAndDelete.Median)}, p99 {Ms(result.LogAndDelete.P99)}");
Console.WriteLine($"memory                 managed heap {result.ManagedHeapBytes / 1024 / 1024} MiB after run, "
    + $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB, "
    + $"allocated {result.AllocatedBytes / 1024 / 1024} MiB in all");
Console.WriteLine($"API alone              {result.ApiOnlyThroughput.ToString("0", CultureInfo.InvariantCulture)} create+read+delete/s on a fresh emulator with no node (the emulator's share)");
Console.WriteLine($"machine load           {File.ReadAllText("/proc/loadavg").Trim()} (load average: figures scale with the share of the cores this run got)");
Console.WriteLine($"GC collections         gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
