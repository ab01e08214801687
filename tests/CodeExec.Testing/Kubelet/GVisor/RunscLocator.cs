using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>Where a runsc binary came from, which version it is, and the platform the gVisor mode runs it with.</summary>
/// <param name="Path">The binary.</param>
/// <param name="Origin">How it was found: the environment override, the cache of hack/runsc.sh, or PATH.</param>
/// <param name="Version">The first line of <c>runsc --version</c> ("runsc version 0.0~20240729.0"), or null.</param>
public sealed record RunscBinary(string Path, RunscOrigin Origin, string? Version)
{
    /// <summary>
    /// The release date in the version (20240729), or null. Debian versions gVisor's releases by date
    /// (<c>0.0~YYYYMMDD</c>), as gVisor's own release tags (<c>release-YYYYMMDD.N</c>) do.
    /// </summary>
    public int? ReleaseDate => Version is { } v && Regex.Match(v, @"(\d{8})") is { Success: true } m
        ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
        : null;

    /// <summary>
    /// The platform to run the sentry on: <c>systrap</c> for releases from 2023-06 on (gVisor's default since then;
    /// see gVisor's runsc/config/flags.go, <c>--platform</c>), <c>ptrace</c> for older ones such as bookworm's
    /// 2022-12 runsc, which has no systrap.
    /// </summary>
    public string Platform => ReleaseDate is >= 20230601 ? "systrap" : "ptrace";

    /// <summary>One line for logs and test output: version, platform, where it came from.</summary>
    public string Description => Origin switch
    {
        RunscOrigin.Environment => $"{Version ?? "runsc"} ({Platform}) from {RunscLocator.EnvironmentVariable}={Path}",
        RunscOrigin.Cache => $"{Version ?? "runsc"} ({Platform}) from Debian, unpacked by hack/runsc.sh at {Path}",
        RunscOrigin.Path when Platform == "ptrace" =>
            $"{Version ?? "runsc"} at {Path} from PATH: this is an old runsc (Debian bookworm's), on the slow ptrace platform; "
            + "run hack/runsc.sh for gVisor 20240729 (systrap)",
        RunscOrigin.Path => $"{Version ?? "runsc"} ({Platform}) at {Path} from PATH",
        _ => $"runsc not found (looked at ${RunscLocator.EnvironmentVariable}, {RunscLocator.CacheBinary}, PATH)",
    };
}

/// <summary>How <see cref="RunscLocator"/> found runsc.</summary>
public enum RunscOrigin
{
    /// <summary>Not found anywhere.</summary>
    None,

    /// <summary>The <c>CODEEXEC_RUNSC</c> environment variable.</summary>
    Environment,

    /// <summary>The cache <c>hack/runsc.sh</c> unpacks Debian's runsc 20240729 into (bookworm-backports by default).</summary>
    Cache,

    /// <summary><c>runsc</c> on PATH (on this project's machines: bookworm's package, the fallback).</summary>
    Path,
}

/// <summary>
/// Finds the runsc the gVisor mode uses: <c>$CODEEXEC_RUNSC</c>, else the cache <c>hack/runsc.sh</c> fills with
/// Debian's runsc 20240729 (<c>$CODEEXEC_RUNSC_CACHE</c>, default <c>~/.cache/codeexec/runsc</c>, link <c>current</c>), else
/// <c>runsc</c> on PATH, which is only a fallback (bookworm's 2022 runsc, ptrace platform) and says so in
/// <see cref="RunscBinary.Description"/>.
/// </summary>
public static class RunscLocator
{
    public const string EnvironmentVariable = "CODEEXEC_RUNSC";

    private static readonly Lazy<RunscBinary> Found = new(() => Locate(System.Environment.GetEnvironmentVariable));

    /// <summary>The binary hack/runsc.sh leaves in its cache.</summary>
    public static string CacheBinary
    {
        get
        {
            var cache = System.Environment.GetEnvironmentVariable("CODEEXEC_RUNSC_CACHE") is { Length: > 0 } c
                ? c
                : System.IO.Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "codeexec", "runsc");
            return System.IO.Path.Combine(cache, "current", "usr", "bin", "runsc");
        }
    }

    /// <summary>The runsc of this process (looked up once).</summary>
    public static RunscBinary Default => Found.Value;

    /// <summary>Looks runsc up with <paramref name="environment"/> standing in for the process environment.</summary>
    public static RunscBinary Locate(Func<string, string?> environment)
    {
        if (environment(EnvironmentVariable) is { Length: > 0 } overridden)
        {
            return Describe(overridden, RunscOrigin.Environment);
        }

        if (File.Exists(CacheBinary))
        {
            return Describe(CacheBinary, RunscOrigin.Cache);
        }

        foreach (var folder in (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(folder, "runsc");
            if (File.Exists(candidate))
            {
                return Describe(candidate, RunscOrigin.Path);
            }
        }

        return new RunscBinary("runsc", RunscOrigin.None, null);
    }

    /// <summary>Describes a given binary (runs <c>runsc --version</c>).</summary>
    public static RunscBinary Describe(string path, RunscOrigin origin) => new(path, origin, VersionOf(path));

    private static string? VersionOf(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var start = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var first = process.StandardOutput.ReadLine();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return first?.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
