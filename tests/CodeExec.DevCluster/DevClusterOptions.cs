using System.Globalization;
using CodeExec.DevCluster.Cluster;

namespace CodeExec.DevCluster;

/// <summary>The command line of the dev cluster program.</summary>
internal sealed record DevClusterOptions
{
    public const string Usage = """
        codeexec-devcluster: a one-process dev cluster (API emulator, simulated node, the real operator) running the samples.

        Options:
          --keep              leave the cluster running after the samples and print the KUBECONFIG to use; Ctrl+C stops it
          --cluster-only      start only the emulator and the simulated node (no operator, no samples), print the KUBECONFIG
                              and the collector command for an operator started elsewhere (make run, the E2E tests); Ctrl+C stops it
          --env-file PATH     with --cluster-only: once the cluster is up, write to PATH the shell `export` lines for the E2E
                              suite against it (KUBECONFIG, CODEEXEC_E2E_OPERATOR=in-process, the collector command and settings)
          --mode MODE         auto (default: gvisor when runsc is installed and running as root, else process), gvisor, process
          --timeout SECONDS   how long to wait for every sample to finish (default 90)
          --verbose           show the operator's and the kubelet's logs
          --help              this text

        Exit code: 0 when every sample ended as designed, 1 when one did not (or the wait timed out), 2 on a usage or setup error.
        """;

    public bool Keep { get; init; }

    public bool ClusterOnly { get; init; }

    public string? EnvFile { get; init; }

    public SandboxMode? Mode { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    public bool Verbose { get; init; }

    public bool Help { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a readable message on bad input.</summary>
    public static DevClusterOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DevClusterOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--keep" => options with { Keep = true },
                "--cluster-only" => options with { ClusterOnly = true },
                "--verbose" or "-v" => options with { Verbose = true },
                "--help" or "-h" => options with { Help = true },
                "--env-file" => options with { EnvFile = ValueAfter(args, ref i) },
                "--mode" => options with { Mode = ParseMode(ValueAfter(args, ref i)) },
                "--timeout" => options with { Timeout = ParseTimeout(ValueAfter(args, ref i)) },
                var other => throw new ArgumentException($"unknown option {other}"),
            };
        }

        return options.EnvFile is not null && !options.ClusterOnly ? throw new ArgumentException("--env-file needs --cluster-only") : options;
    }

    private static string ValueAfter(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static SandboxMode? ParseMode(string value) => value switch
    {
        "auto" => null,
        "gvisor" => SandboxMode.GVisor,
        "process" => SandboxMode.Process,
        _ => throw new ArgumentException($"--mode {value}: expected auto, gvisor or process"),
    };

    private static TimeSpan ParseTimeout(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"--timeout {value}: expected a positive number of seconds");
}
