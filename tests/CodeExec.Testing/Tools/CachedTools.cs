namespace CodeExec.Testing.Tools;

/// <summary>
/// Finds the command-line tools the tests run (helm, kubectl, shellcheck): first in the cache <c>hack/tools.sh</c> fills
/// (<c>$CODEEXEC_TOOLS_HOME/bin</c>, default <c>~/.cache/codeexec/tools/bin</c>: the pinned helm v4.1.4 and kubectl
/// v1.33, and shellcheck 0.9.0), then on PATH. When neither has the tool, <see cref="MissingReason"/> says why, for <c>Assert.Skip</c>.
/// </summary>
public static class CachedTools
{
    /// <summary>The cache folder hack/tools.sh fills.</summary>
    public static string Home =>
        Environment.GetEnvironmentVariable("CODEEXEC_TOOLS_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "codeexec", "tools");

    /// <summary>The full path of <paramref name="name"/>: the cached one, else the one on PATH, else null.</summary>
    public static string? Find(string name)
    {
        var cached = Path.Combine(Home, "bin", name);
        if (File.Exists(cached))
        {
            return cached;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Why <paramref name="name"/> is not available: the failure hack/tools.sh recorded, or how to get it.</summary>
    public static string MissingReason(string name)
    {
        var failure = Path.Combine(Home, name == "shellcheck" ? "failure-shellcheck.txt" : "failure.txt");
        return File.Exists(failure)
            ? $"{name} is not installed: {File.ReadAllText(failure).Trim()}"
            : $"{name} is neither in {Path.Combine(Home, "bin")} nor on PATH: run hack/tools.sh (make test does)";
    }
}
