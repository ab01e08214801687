using System.Globalization;

namespace CodeExec.Operator.Tests.Security;

/// <summary>
/// What the attack suite checks the host against, read from the host's /proc: the processes descended from this test
/// process (the simulated kubelet's runsc sandboxes and everything they start on the host) and the TCP listening
/// sockets this process tree holds in the host's network namespace. The machine is shared with other test runs, so
/// the host-wide process and listener counts move for reasons of their own; this process tree is what the sandboxes
/// could change.
/// </summary>
/// <param name="Descendants">The pids below this process, with their command names (<c>/proc/&lt;pid&gt;/comm</c>).</param>
/// <param name="Listeners">The local addresses (hex, as in /proc/net/tcp) of the LISTEN sockets this process tree holds.</param>
internal sealed record HostSnapshot(IReadOnlyDictionary<int, string> Descendants, IReadOnlySet<string> Listeners)
{
    /// <summary>Reads the snapshot for the process tree of this test process.</summary>
    public static HostSnapshot Take()
    {
        var self = Environment.ProcessId;
        var children = new Dictionary<int, List<int>>();
        foreach (var pid in Pids())
        {
            if (ParentOf(pid) is { } parent)
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
        }

        var descendants = new Dictionary<int, string>();
        var pending = new Stack<int>([self]);
        while (pending.TryPop(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                descendants[child] = ReadOrEmpty($"/proc/{child}/comm").Trim();
                pending.Push(child);
            }
        }

        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pid in descendants.Keys.Append(self))
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target["socket:[".Length..^1]);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we read it.
            }
        }

        var listeners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in ReadOrEmpty(table).Split('\n').Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A" && inodes.Contains(fields[9]))
                {
                    listeners.Add(fields[1]);
                }
            }
        }

        return new HostSnapshot(descendants, listeners);
    }

    /// <summary>The number of processes on the whole host (every numeric /proc entry), for the report only.</summary>
    public static int HostProcessCount() => Pids().Count();

    /// <summary>A readable list of the descendants, for assertion messages.</summary>
    public string DescribeDescendants() => string.Join(", ", Descendants.Select(p => $"{p.Key} {p.Value}"));

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Select(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0);

    private static int? ParentOf(int pid)
    {
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
        var stat = ReadOrEmpty($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
