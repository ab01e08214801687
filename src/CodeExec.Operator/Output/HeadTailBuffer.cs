namespace CodeExec.Operator.Output;

/// <summary>
/// Keeps the first and last bytes of a stream of any length in constant memory: a head of ceil(limit/2) bytes and a
/// ring of the last floor(limit/2) bytes after it, plus the exact count. When the stream is at most <c>limit</c>
/// bytes long, head followed by tail is the whole stream.
/// </summary>
internal sealed class HeadTailBuffer
{
    private readonly byte[] _head;
    private readonly byte[] _ring;
    private int _headLength;
    private long _ringWritten;

    /// <summary>Creates a buffer keeping at most <paramref name="limitBytes"/> bytes in all.</summary>
    public HeadTailBuffer(int limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        _head = new byte[(limitBytes + 1) / 2];
        _ring = new byte[limitBytes / 2];
    }

    /// <summary>Every byte appended so far, kept or not.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Adds the next bytes of the stream.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        TotalBytes += data.Length;
        var toHead = Math.Min(data.Length, _head.Length - _headLength);
        data[..toHead].CopyTo(_head.AsSpan(_headLength));
        _headLength += toHead;
        data = data[toHead..];
        if (data.IsEmpty || _ring.Length == 0)
        {
            return;
        }

        if (data.Length > _ring.Length)
        {
            // Only the last ring-length bytes can survive; the others pass through the window at once.
            var skipped = data.Length - _ring.Length;
            _ringWritten += skipped;
            data = data[skipped..];
        }

        var position = (int)(_ringWritten % _ring.Length);
        var firstPart = Math.Min(data.Length, _ring.Length - position);
        data[..firstPart].CopyTo(_ring.AsSpan(position));
        data[firstPart..].CopyTo(_ring);
        _ringWritten += data.Length;
    }

    /// <summary>The first bytes of the stream.</summary>
    public byte[] Head() => _head.AsSpan(0, _headLength).ToArray();

    /// <summary>The last bytes of the stream after the head (all of them when the stream fit in the limit).</summary>
    public byte[] Tail()
    {
        if (_ringWritten <= _ring.Length)
        {
            return _ring.AsSpan(0, (int)_ringWritten).ToArray();
        }

        var start = (int)(_ringWritten % _ring.Length);
        return [.. _ring.AsSpan(start), .. _ring.AsSpan(0, start)];
    }
}
