namespace CodeExec.Testing.RealApiServer;

/// <summary>
/// Where the real CRD API server lives: the binaries built by <c>hack/kube-apiext.sh build</c> (in
/// <c>$KUBE_APIEXT_HOME</c>, default <c>~/.cache/kube-apiext</c>) and the scripts that start and stop it (in
/// <c>$KUBE_APIEXT_TOOLS</c>, default <c>&lt;repo root&gt;/hack/kube-apiext</c>).
/// </summary>
public sealed record KubeApiExtInstallation(string Home, string ToolsDirectory)
{
    /// <summary>The server binary.</summary>
    public string ServerBinary => Path.Combine(Home, "bin", "apiext-standalone");

    /// <summary>The script that starts etcd and the server.</summary>
    public string StartScript => Path.Combine(ToolsDirectory, "start.sh");

    /// <summary>The script that stops them.</summary>
    public string StopScript => Path.Combine(ToolsDirectory, "stop.sh");

    /// <summary>
    /// Why the server cannot be started here, or null when it can: the build failure recorded by hack/kube-apiext.sh,
    /// "not built", or missing tools. Tests pass it to <c>Assert.Skip</c>.
    /// </summary>
    public string? UnavailableReason
    {
        get
        {
            if (!File.Exists(StartScript))
            {
                return $"kube-apiext tools not found at {ToolsDirectory} (set KUBE_APIEXT_TOOLS)";
            }

            if (File.Exists(ServerBinary) && File.Exists(Path.Combine(Home, "bin", "etcd")))
            {
                return null;
            }

            var failure = Path.Combine(Home, "build-failure.txt");
            return File.Exists(failure)
                ? "the real API server could not be built: " + File.ReadAllText(failure).Trim()
                : $"the real API server is not built in {Home}: run make kube-apiext";
        }
    }

    /// <summary>The installation the environment points at.</summary>
    public static KubeApiExtInstallation FromEnvironment()
    {
        var home = Environment.GetEnvironmentVariable("KUBE_APIEXT_HOME") is { Length: > 0 } h
            ? h
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kube-apiext");
        var tools = Environment.GetEnvironmentVariable("KUBE_APIEXT_TOOLS") is { Length: > 0 } t
            ? t
            : Path.Combine(RepositoryRoot.Find(), "hack", "kube-apiext");
        return new KubeApiExtInstallation(home, tools);
    }
}

/// <summary>Finds the repository root: the nearest parent directory of the test binaries holding Operator.sln.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository root, searched upwards from <paramref name="start"/> (default: the test's base directory).</summary>
    public static string Find(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Operator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Operator.sln above {start ?? AppContext.BaseDirectory}");
    }
}
