using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Sandbox;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.Scripted;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>
/// A whole cluster for controller tests, in this process: the API emulator (admission on) with the repository's CRDs and
/// <c>config/runtime</c> (RuntimeClass <c>gvisor</c>, PriorityClass <c>codeexec-sandbox</c>), a one-node simulated scheduler + kubelet running pods with a scripted runner, a CodeRuntime
/// <c>python</c>, and (optionally) the real operator host. Sandbox pods are scripted per execution with
/// <see cref="ScriptSandbox"/>: the code container's result and the collector sidecar's record, which it prints when
/// the kubelet stops it, exactly as the real collector does.
/// </summary>
internal sealed class SandboxCluster : IAsyncDisposable
{
    public const string Namespace = "default";
    public const string Runtime = "python";
    public const int DefaultOutputBytes = 4096;

    private readonly List<RunningOperator> _operators = [];
    private readonly string _directory;

    private SandboxCluster(KubernetesEmulator emulator, Kubernetes client, IPodRunner runner, SimulatedNode node, string directory)
    {
        Emulator = emulator;
        Client = client;
        Runner = runner;
        Node = node;
        _directory = directory;
        KubeconfigPath = Path.Combine(directory, "kubeconfig");
    }

    public KubernetesEmulator Emulator { get; }
    public Kubernetes Client { get; }
    public IPodRunner Runner { get; }
    public SimulatedNode Node { get; }
    public string KubeconfigPath { get; }

    /// <summary>
    /// Starts the cluster; its kubelet runs pods with <paramref name="runner"/> (default: a scripted runner). With
    /// <paramref name="gracefulPodDeletion"/>, a deleted running Pod stays (terminating) until its kubelet has stopped it.
    /// </summary>
    public static async Task<SandboxCluster> StartAsync(IPodRunner? runner = null, bool gracefulPodDeletion = false)
    {
        // What a cluster prepared for the operator has: config/runtime's RuntimeClass gvisor and PriorityClass codeexec-sandbox.
        var emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions
        {
            ManifestPaths = { KubernetesEmulator.SandboxRuntimeManifests },
            GracefulPodDeletion = gracefulPodDeletion,
        });
        var client = emulator.CreateClient();
        runner ??= PodRunners.Scripted();
        var node = await SimulatedNode.StartAsync(client, emulator.Logs, runner);
        var directory = Directory.CreateTempSubdirectory("codeexec-cluster-").FullName;
        var cluster = new SandboxCluster(emulator, client, runner, node, directory);
        Kubeconfig.Write(cluster.KubeconfigPath, emulator.BaseUri, Namespace);
        await cluster.CreateRuntimeAsync(Runtime);
        return cluster;
    }

    /// <summary>Starts an operator replica against this cluster (several may run; each is stopped on dispose).</summary>
    public async Task<RunningOperator> StartOperatorAsync(IReadOnlyDictionary<string, string>? settings = null, string? identity = null,
        Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null)
    {
        var running = await RunningOperator.StartAsync(KubeconfigPath, settings, identity, configure);
        _operators.Add(running);
        return running;
    }

    public async Task<CodeRuntime> CreateRuntimeAsync(string name, Action<CodeRuntimeSpec>? configure = null)
    {
        var runtime = new CodeRuntime
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new CodeRuntimeSpec
            {
                Image = "python:3.12-slim",
                Command = ["python3", "-u"],
                FileName = "main.py",
                DefaultLimits = new ExecutionLimits { TimeoutSeconds = 30, Cpu = new ResourceQuantity("500m"), Memory = new ResourceQuantity("256Mi"), OutputBytes = DefaultOutputBytes },
                MaxLimits = new ExecutionLimits { TimeoutSeconds = 600, Cpu = new ResourceQuantity("2"), Memory = new ResourceQuantity("1Gi"), OutputBytes = 65536 },
            },
        };
        configure?.Invoke(runtime.Spec);
        return await Client.CustomObjects.CreateClusterCustomObjectAsync<CodeRuntime>(runtime, ApiConstants.Group, ApiConstants.Version, ApiConstants.CodeRuntimePlural);
    }

    public async Task<CodeExecution> CreateExecutionAsync(string name, Action<CodeExecutionSpec>? configure = null, string code = "print('hello')",
        Action<V1ObjectMeta>? metadata = null)
    {
        var execution = new CodeExecution
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Spec = new CodeExecutionSpec { Runtime = Runtime, Code = code },
        };
        configure?.Invoke(execution.Spec);
        metadata?.Invoke(execution.Metadata);
        return await Client.CustomObjects.CreateNamespacedCustomObjectAsync<CodeExecution>(execution, ApiConstants.Group, ApiConstants.Version,
            Namespace, ApiConstants.CodeExecutionPlural);
    }

    public async Task<CodeExecution?> GetExecutionAsync(string name)
    {
        try
        {
            return await Client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(ApiConstants.Group, ApiConstants.Version, Namespace,
                ApiConstants.CodeExecutionPlural, name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Polls until <paramref name="until"/> holds for the execution (null when it does not exist).</summary>
    public async Task<CodeExecution?> WaitForAsync(string name, Func<CodeExecution?, bool> until, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        CodeExecution? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetExecutionAsync(name);
            if (until(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{name}: {what ?? "condition"} not reached; last status: {(last?.Status is null ? "none" : KubernetesJson.Serialize(last.Status))}");
    }

    public async Task<CodeExecution> WaitForFinalAsync(string name, TimeSpan? timeout = null) =>
        (await WaitForAsync(name, e => ExecutionPhase.IsFinal(e?.Status?.Phase), timeout, "a final phase"))!;

    public Task<CodeExecution> WaitForPhaseAsync(string name, string phase, TimeSpan? timeout = null) =>
        WaitForAsync(name, e => e?.Status?.Phase == phase, timeout, "phase " + phase)!;

    /// <summary>
    /// Scripts the sandbox Pod of <paramref name="execution"/>: the code container behaves as <paramref name="code"/>, and
    /// the collector prints, when stopped, the record of <paramref name="stdout"/> and <paramref name="stderr"/> kept
    /// within <paramref name="limitBytes"/> per stream.
    /// </summary>
    public void ScriptSandbox(string execution, ScriptedContainer code, byte[]? stdout = null, byte[]? stderr = null, int limitBytes = DefaultOutputBytes)
    {
        var record = CollectorRecord(stdout ?? [], stderr ?? [], limitBytes);
        var scripted = Runner as ScriptedPodRunner ?? throw new InvalidOperationException("this cluster's kubelet does not run scripted pods");
        scripted.Script(pod => IsSandboxOf(pod, execution), ScriptedPod.With(
            ("code", code),
            ("collector", ScriptedContainer.Sidecar(record))));
    }

    public void ScriptSandbox(string execution, ScriptedContainer code, string stdout, string stderr = "", int limitBytes = DefaultOutputBytes) =>
        ScriptSandbox(execution, code, Encoding.UTF8.GetBytes(stdout), Encoding.UTF8.GetBytes(stderr), limitBytes);

    /// <summary>True for the sandbox Pod of the execution named <paramref name="execution"/> (by its labels, as child names carry the UID).</summary>
    public static bool IsSandboxOf(V1Pod pod, string execution) =>
        pod.Metadata?.Labels is { } labels
        && labels.TryGetValue(SandboxNames.ExecutionLabel, out var name) && name == SandboxNames.ExecutionLabelValue(execution)
        && labels.TryGetValue(SandboxNames.RoleLabel, out var role) && role == SandboxNames.RoleSandbox;

    /// <summary>The names of the children of the live execution <paramref name="execution"/> (they carry its UID).</summary>
    public async Task<(string Pod, string Code, string Policy)> ChildNamesAsync(string execution)
    {
        var live = await GetExecutionAsync(execution) ?? throw new InvalidOperationException($"no CodeExecution {execution}");
        return (SandboxNames.Pod(live), SandboxNames.Code(live), SandboxNames.NetworkPolicy(live));
    }

    /// <summary>The name of the sandbox Pod of the live execution <paramref name="execution"/>.</summary>
    public async Task<string> PodNameAsync(string execution) => (await ChildNamesAsync(execution)).Pod;

    /// <summary>The record the collector prints for these streams.</summary>
    public static byte[] CollectorRecord(byte[] stdout, byte[] stderr, int limitBytes)
    {
        using var writer = new StringWriter();
        OutputRecord.Write(writer, Capture(stdout, limitBytes), Capture(stderr, limitBytes));
        return Encoding.ASCII.GetBytes(writer.ToString());
    }

    private static CapturedStream Capture(byte[] bytes, int limitBytes)
    {
        var buffer = new HeadTailBuffer(limitBytes);
        buffer.Append(bytes);
        return new CapturedStream(CaptureState.Ok, buffer.TotalBytes, buffer.Head(), buffer.Tail());
    }

    public async Task<V1Pod?> GetPodAsync(string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedPodAsync(name, Namespace);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var running in _operators)
        {
            await running.DisposeAsync();
        }

        await Node.DisposeAsync();
        Client.Dispose();
        await Emulator.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
