using System.Net;
using System.Net.Sockets;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using Xunit;

namespace CodeExec.Operator.Tests.Security;

/// <summary>
/// One cluster for the whole attack suite: the API emulator, the simulated kubelet in gVisor mode (each Pod one runsc
/// sandbox) and the real operator, whose collector runs this build inside the sandbox. Every attack of
/// <see cref="AttackSuiteTests"/> is created at once on start-up (they do not interfere: each is its own Pod and
/// sandbox), except one that must overlap another and waits for it to run; each test awaits the final status of its own. Before that it opens the host listeners the network
/// attack aims at and takes the <see cref="HostSnapshot"/> the last test compares the host with.
/// Where runsc cannot run (not installed, not root) or python3 is missing, nothing starts and every test skips with
/// <see cref="SkipReason"/>.
/// </summary>
public sealed class AttackSuiteFixture : IAsyncLifetime
{
    /// <summary>A host environment variable the sandboxes' runsc processes inherit and the code must not see.</summary>
    public const string CanaryVariable = "CODEEXEC_ATTACK_CANARY";

    private readonly OperatorBuildCopy _operatorBuild = new();
    private readonly Dictionary<string, Task<CodeExecution>> _results = new(StringComparer.Ordinal);
    private SandboxCluster? _cluster;
    private TcpListener? _loopbackListener;
    private TcpListener? _anyListener;
    private UdpClient? _udp;

    /// <summary>Why the suite cannot run here, or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>A marker unique to this run: files the attacks try to create are named after it.</summary>
    public string Marker { get; } = "codeexec-attack-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The value of <see cref="CanaryVariable"/> in this process (and so in runsc's processes on the host).</summary>
    public string Canary { get; } = "canary-" + Guid.NewGuid().ToString("N");

    /// <summary>A TCP listener on the host's 127.0.0.1.</summary>
    public TcpListener LoopbackListener => _loopbackListener!;

    /// <summary>A TCP listener on every host address (0.0.0.0), for the host's own non-loopback addresses.</summary>
    public TcpListener AnyListener => _anyListener!;

    /// <summary>A UDP socket on the host's 127.0.0.1.</summary>
    public UdpClient Udp => _udp!;

    /// <summary>The host before any attack ran (after the cluster and the operator started).</summary>
    internal HostSnapshot Baseline { get; private set; } = null!;

    /// <summary>The host's non-loopback IPv4 addresses, which the network attack also tries.</summary>
    public IReadOnlyList<string> HostAddresses { get; private set; } = [];

    /// <summary>The attacks' execution names, as created.</summary>
    public IReadOnlyCollection<string> Executions => _results.Keys;

    public async ValueTask InitializeAsync()
    {
        if (!new GVisorOptions().CanRun(out var reason))
        {
            SkipReason = reason;
            return;
        }

        if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, "python3"))))
        {
            SkipReason = "python3 is needed on PATH: the host's /usr is the sandbox's image";
            return;
        }

        Environment.SetEnvironmentVariable(CanaryVariable, Canary);
        _loopbackListener = new TcpListener(IPAddress.Loopback, 0);
        _loopbackListener.Start();
        _anyListener = new TcpListener(IPAddress.Any, 0);
        _anyListener.Start();
        _udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        HostAddresses = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Select(a => a.ToString())
            .ToList();

        _cluster = await SandboxCluster.StartAsync(PodRunners.GVisor(gvisor: new GVisorOptions { ImageHostPaths = ["/usr", "/etc", _operatorBuild.Directory] }));
        await _cluster.StartOperatorAsync(new Dictionary<string, string>(_operatorBuild.CollectorSettings())
        {
            ["Operator:Executions:MaxActivePerNamespace"] = "32",
        });
        Baseline = HostSnapshot.Take();

        var cluster = _cluster;
        foreach (var attack in AttackSuiteTests.Attacks(this))
        {
            if (attack.AfterRunning is { } first)
            {
                _results[attack.Name] = Task.Run(async () =>
                {
                    await cluster.WaitForPhaseAsync(first, ExecutionPhase.Running, TimeSpan.FromSeconds(120));
                    await cluster.CreateExecutionAsync(attack.Name, attack.Configure, attack.Code);
                    return await cluster.WaitForFinalAsync(attack.Name, TimeSpan.FromSeconds(150));
                });
                continue;
            }

            await cluster.CreateExecutionAsync(attack.Name, attack.Configure, attack.Code);
            _results[attack.Name] = cluster.WaitForFinalAsync(attack.Name, TimeSpan.FromSeconds(150));
        }
    }

    /// <summary>The final state of the attack <paramref name="name"/> (skips the test when the suite cannot run).</summary>
    public async Task<CodeExecution> ResultAsync(string name)
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }

        return await _results[name];
    }

    /// <summary>Every attack's final state.</summary>
    public async Task<CodeExecution[]> AllResultsAsync()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }

        return await Task.WhenAll(_results.Values);
    }

    /// <summary>What the sandbox's code must not find: the host's own command lines (PID 1 and this process).</summary>
    public static string HostCommandLine(string pid) =>
        File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    /// <summary>Text the code can embed as a Python string literal.</summary>
    public static string PythonLiteral(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _loopbackListener?.Dispose();
        _anyListener?.Dispose();
        _udp?.Dispose();
        _operatorBuild.Dispose();
        Environment.SetEnvironmentVariable(CanaryVariable, null);
    }
}
