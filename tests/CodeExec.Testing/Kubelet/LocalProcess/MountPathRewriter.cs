using System.Text.RegularExpressions;

namespace CodeExec.Testing.Kubelet.LocalProcess;

/// <summary>
/// Process mode's stand-in for mounts: a container's absolute mount paths (/code, /codeexec/out, /tmp) do not exist
/// on the host, so every whole-path occurrence of a mount path in the command, args, env values and workingDir is
/// rewritten to the host folder of the volume. "/code/main.py" and "&gt;/codeexec/out/stdout" inside a shell script
/// are rewritten; "/codex" and "/usr/tmp" are not. Paths the program computes at run time are not rewritten.
/// </summary>
public sealed class MountPathRewriter
{
    private readonly Dictionary<string, string> _hostPaths;
    private readonly Regex? _pattern;

    public MountPathRewriter(IEnumerable<KeyValuePair<string, string>> mountPathToHostPath)
    {
        _hostPaths = mountPathToHostPath.ToDictionary(m => m.Key.TrimEnd('/'), m => m.Value, StringComparer.Ordinal);
        if (_hostPaths.Count > 0)
        {
            // Longest first, so /codeexec/out wins over a /codeexec mount. A match must be a whole path prefix: not
            // preceded by a path character, and followed by '/', the end, or a character that cannot be in a path.
            var alternatives = string.Join('|', _hostPaths.Keys.OrderByDescending(p => p.Length).Select(Regex.Escape));
            _pattern = new Regex($"(?<![A-Za-z0-9._/-])(?:{alternatives})(?=/|$|[^A-Za-z0-9._-])", RegexOptions.CultureInvariant);
        }
    }

    /// <summary>The text with every mount path replaced by its host folder (one pass: host folders are never rewritten again).</summary>
    public string Rewrite(string text) => _pattern is null ? text : _pattern.Replace(text, match => _hostPaths[match.Value]);
}
