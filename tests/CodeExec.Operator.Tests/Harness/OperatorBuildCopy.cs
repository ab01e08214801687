using CodeExec.Operator.Sandbox;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>
/// A world-readable copy of this build of the operator (its .dll and .json files and codeexec-init), for gVisor mode:
/// the collector runs that build inside its sandbox as its own non-root user, which cannot read a build folder under
/// /root. Made on first use of <see cref="Directory"/>; deleted on dispose.
/// </summary>
internal sealed class OperatorBuildCopy : IDisposable
{
    private string? _directory;

    /// <summary>The folder of the copy (made on first use): one folder per test process and instance.</summary>
    public string Directory => _directory ??= Make();

    /// <summary>The collector command that runs this copy: <c>dotnet &lt;copy&gt;/codeexec-operator.dll collect</c>, as operator settings.</summary>
    public IReadOnlyDictionary<string, string> CollectorSettings() => new Dictionary<string, string>
    {
        ["Sandbox:CollectorCommand:0"] = "dotnet",
        ["Sandbox:CollectorCommand:1"] = Path.Combine(Directory, "codeexec-operator.dll"),
        ["Sandbox:CollectorCommand:2"] = "collect",
    };

    public void Dispose()
    {
        if (_directory is not null)
        {
            System.IO.Directory.Delete(_directory, recursive: true);
            _directory = null;
        }
    }

    private static string Make()
    {
        var copy = System.IO.Directory.CreateTempSubdirectory("codeexec-operator-build-" + Environment.ProcessId + "-").FullName;
        foreach (var file in System.IO.Directory.EnumerateFiles(AppContext.BaseDirectory).Where(f => f.EndsWith(".dll", StringComparison.Ordinal)
            || f.EndsWith(".json", StringComparison.Ordinal) || Path.GetFileName(f) == SandboxRenderer.InitFileName))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)), overwrite: true);
        }

        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return copy;
    }
}
