namespace CodeExec.Testing.Emulator;

/// <summary>Which stream of a container a chunk of log came from.</summary>
public enum OutputStreamKind
{
    Stdout,
    Stderr,
}

/// <summary>
/// The container logs of the emulated cluster: the simulated kubelet appends what each container writes, and the
/// emulator's <c>pods/{name}/log</c> endpoint reads it. Like a kubelet's log files, each container keeps at most
/// <see cref="MaxBytesPerContainer"/> bytes: past that the oldest chunks are dropped.
/// </summary>
public sealed class PodLogStore(long maxBytesPerContainer = 16 * 1024 * 1024)
{
    private readonly Dictionary<(string Namespace, string Pod, string Container), ContainerLog> _logs = [];
    private readonly Lock _lock = new();

    public long MaxBytesPerContainer { get; } = maxBytesPerContainer;

    /// <summary>Appends bytes a container wrote to one of its streams.</summary>
    public void Append(string @namespace, string pod, string container, OutputStreamKind stream, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            var key = (@namespace, pod, container);
            if (!_logs.TryGetValue(key, out var log))
            {
                _logs[key] = log = new ContainerLog();
            }

            log.Chunks.AddLast((stream, data.ToArray()));
            log.Bytes += data.Length;
            while (log.Bytes > MaxBytesPerContainer && log.Chunks.First is { } oldest)
            {
                log.Bytes -= oldest.Value.Data.Length;
                log.Chunks.RemoveFirst();
            }
        }
    }

    /// <summary>True when the container has written anything (or an empty log was started for it).</summary>
    public bool HasContainer(string @namespace, string pod, string container)
    {
        lock (_lock)
        {
            return _logs.ContainsKey((@namespace, pod, container));
        }
    }

    /// <summary>
    /// Reads a container's log as the API server's log endpoint does: both streams interleaved in the order written
    /// (or one stream), then the last <paramref name="tailLines"/> lines, then at most <paramref name="limitBytes"/> bytes
    /// from the start of what is left.
    /// </summary>
    public byte[] Read(string @namespace, string pod, string container, OutputStreamKind? stream = null, long? limitBytes = null, int? tailLines = null)
    {
        byte[] all;
        lock (_lock)
        {
            if (!_logs.TryGetValue((@namespace, pod, container), out var log))
            {
                return [];
            }

            using var buffer = new MemoryStream();
            foreach (var (chunkStream, data) in log.Chunks)
            {
                if (stream is null || chunkStream == stream)
                {
                    buffer.Write(data);
                }
            }

            all = buffer.ToArray();
        }

        ReadOnlySpan<byte> view = all;
        if (tailLines is { } lines)
        {
            view = TailLines(view, lines);
        }

        if (limitBytes is { } limit && view.Length > limit)
        {
            view = view[..(int)Math.Max(0, limit)];
        }

        return view.ToArray();
    }

    /// <summary>Forgets every container log of a pod (the pod was deleted).</summary>
    public void Remove(string @namespace, string pod)
    {
        lock (_lock)
        {
            foreach (var key in _logs.Keys.Where(k => k.Namespace == @namespace && k.Pod == pod).ToList())
            {
                _logs.Remove(key);
            }
        }
    }

    private static ReadOnlySpan<byte> TailLines(ReadOnlySpan<byte> data, int lines)
    {
        if (lines <= 0)
        {
            return [];
        }

        // A trailing newline ends the last line; it does not start another one.
        var end = data.Length > 0 && data[^1] == (byte)'\n' ? data.Length - 1 : data.Length;
        var seen = 0;
        for (var i = end - 1; i >= 0; i--)
        {
            if (data[i] == (byte)'\n' && ++seen == lines)
            {
                return data[(i + 1)..];
            }
        }

        return data;
    }

    private sealed class ContainerLog
    {
        public LinkedList<(OutputStreamKind Stream, byte[] Data)> Chunks { get; } = new();
        public long Bytes { get; set; }
    }
}
