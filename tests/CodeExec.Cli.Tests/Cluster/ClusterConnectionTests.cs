using CodeExec.Cli.Cluster;
using CodeExec.Testing.Emulator;

namespace CodeExec.Cli.Tests.Cluster;

/// <summary>Which kubeconfig and namespace the CLI uses, as kubectl chooses them (no server is contacted).</summary>
public sealed class ClusterConnectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("codeexec-cli-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CliConsole Console(Dictionary<string, string> environment) =>
        new(Stream.Null, Stream.Null, Stream.Null, name => environment.GetValueOrDefault(name));

    private string Write(string name, string? defaultNamespace)
    {
        var path = Path.Combine(_directory, name);
        Kubeconfig.Write(path, new Uri("http://127.0.0.1:6443"), defaultNamespace ?? "");
        if (defaultNamespace is null)
        {
            File.WriteAllLines(path, File.ReadAllLines(path).Where(l => !l.TrimStart().StartsWith("namespace:", StringComparison.Ordinal)));
        }

        return path;
    }

    [Fact]
    public void The_flag_wins_then_the_first_existing_KUBECONFIG_entry_then_home()
    {
        var first = Write("first", "a");
        var second = Write("second", "b");
        var missing = Path.Combine(_directory, "missing");
        var console = Console(new() { ["KUBECONFIG"] = missing + Path.PathSeparator + second + Path.PathSeparator + first, ["HOME"] = "/home/someone" });

        Assert.Equal(first, ClusterConnection.KubeconfigPath(console, first));
        Assert.Equal(second, ClusterConnection.KubeconfigPath(console, null));
        Assert.Equal("/home/someone/.kube/config", ClusterConnection.KubeconfigPath(Console(new() { ["HOME"] = "/home/someone" }), null));
    }

    [Fact]
    public void The_namespace_is_the_flag_else_the_contexts_else_default()
    {
        var withNamespace = Write("with", "team-a");
        var without = Write("without", null);
        var console = Console([]);

        using var fromContext = ClusterConnection.Open(console, withNamespace, null, null);
        using var fromFlag = ClusterConnection.Open(console, withNamespace, null, "team-b");
        using var fallback = ClusterConnection.Open(console, without, null, null);

        Assert.Equal("team-a", fromContext.Namespace);
        Assert.Equal("team-b", fromFlag.Namespace);
        Assert.Equal("default", fallback.Namespace);
    }

    [Fact]
    public void A_missing_kubeconfig_or_context_is_one_clear_error()
    {
        var path = Write("config", "team-a");
        var missing = Path.Combine(_directory, "nope");

        var noFile = Assert.Throws<CliException>(() => ClusterConnection.Open(Console([]), missing, null, null));
        var noContext = Assert.Throws<CliException>(() => ClusterConnection.Open(Console([]), path, "other", null));

        Assert.Equal($"no kubeconfig at {missing} (use --kubeconfig or set KUBECONFIG)", noFile.Message);
        Assert.StartsWith($"cannot use the kubeconfig {path}: ", noContext.Message, StringComparison.Ordinal);
    }
}
