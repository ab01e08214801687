using System.Reflection;
using System.Runtime.Versioning;

namespace CodeExec.DevCluster.Cluster;

/// <summary>
/// The locally built operator (<c>codeexec-operator.dll</c>) as the collector sidecar runs it:
/// <c>dotnet &lt;dir&gt;/codeexec-operator.dll collect</c>. The build output is copied to a world-readable folder so
/// the collector's own non-root UID can read it inside a gVisor sandbox.
/// </summary>
/// <param name="DotnetHost">Absolute path of the real <c>dotnet</c> executable (symbolic links resolved).</param>
/// <param name="Directory">The world-readable copy of the operator's build output.</param>
[SupportedOSPlatform("linux")]
public sealed record OperatorBuild(string DotnetHost, string Directory)
{
    /// <summary>The operator's assembly file name.</summary>
    public const string AssemblyFile = "codeexec-operator.dll";

    /// <summary>The collector command for the operator setting <c>Sandbox:CollectorCommand</c>.</summary>
    public IReadOnlyList<string> CollectorCommand => [DotnetHost, Path.Combine(Directory, AssemblyFile), "collect"];

    /// <summary>The folder of the .NET install (the parent of <see cref="DotnetHost"/>).</summary>
    public string DotnetRoot => Path.GetDirectoryName(DotnetHost)!;

    /// <summary>
    /// Copies the operator's build output (next to this program, where the project reference put it) into
    /// <paramref name="stagingDirectory"/>, readable and listable by every user.
    /// </summary>
    public static OperatorBuild Stage(string stagingDirectory)
    {
        var source = FindBuildOutput();
        System.IO.Directory.CreateDirectory(stagingDirectory);
        File.SetUnixFileMode(stagingDirectory, DirectoryMode);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var target = Path.Combine(stagingDirectory, relative);
            var folder = Path.GetDirectoryName(target)!;
            if (!System.IO.Directory.Exists(folder))
            {
                System.IO.Directory.CreateDirectory(folder);
                File.SetUnixFileMode(folder, DirectoryMode);
            }

            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, FileMode);
        }

        return new OperatorBuild(FindDotnetHost(), stagingDirectory);
    }

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode DirectoryMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>The folder holding codeexec-operator.dll with its runtimeconfig and deps files.</summary>
    private static string FindBuildOutput()
    {
        var here = AppContext.BaseDirectory;
        if (File.Exists(Path.Combine(here, AssemblyFile)) && File.Exists(Path.Combine(here, "codeexec-operator.runtimeconfig.json")))
        {
            return here;
        }

        var configuration = typeof(OperatorBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var layout = RepositoryLayout.Find();
        var built = Path.Combine(layout.Root, "src", "CodeExec.Operator", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(built, AssemblyFile))
            ? built
            : throw new InvalidOperationException($"{AssemblyFile} not found next to this program nor in {built}: build src/CodeExec.Operator first");
    }

    /// <summary>The dotnet executable running this program, else the one on PATH, with links resolved.</summary>
    private static string FindDotnetHost()
    {
        var candidates = new List<string>();
        if (Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            candidates.Add(processPath);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath)
        {
            candidates.Add(hostPath);
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "dotnet")));
        foreach (var candidate in candidates.Where(File.Exists))
        {
            var resolved = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(candidate);
            return resolved;
        }

        throw new InvalidOperationException("the dotnet executable was not found (not running under dotnet, DOTNET_HOST_PATH unset, none on PATH)");
    }
}
