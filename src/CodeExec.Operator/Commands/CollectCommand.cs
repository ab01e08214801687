using System.Globalization;
using System.Runtime.InteropServices;
using CodeExec.Operator.Output;
using Microsoft.Win32.SafeHandles;

namespace CodeExec.Operator.Commands;

/// <summary>
/// <c>codeexec-operator collect --dir /codeexec/out --limit-bytes N</c>: the output collector sidecar. It waits for
/// SIGTERM (or SIGINT), which the kubelet sends once the code container has exited, then reads
/// <c>stdout</c> and <c>stderr</c> of the directory with constant memory, prints one <see cref="OutputRecord"/> to its
/// own stdout and exits 0. It runs as another user than the code, which cannot reach its stdout.
/// </summary>
internal static partial class CollectCommand
{
    public const string Name = "collect";
    private const int ReadChunkBytes = 64 * 1024;
    private const int UsageExitCode = 2;

    // Kept alive for the life of the process: a collected registration stops handling the signal.
    private static readonly List<PosixSignalRegistration> Registrations = [];

    /// <summary>A task that completes on the first SIGTERM or SIGINT; from then on those signals no longer end the process.</summary>
    public static Task TerminationRequested()
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            Registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                signalled.TrySetResult();
            }));
        }

        return signalled.Task;
    }

    /// <summary>The file the collector creates in the output folder when it is ready to be stopped.</summary>
    public const string ReadyFileName = ".collector-ready";

    /// <summary>
    /// <c>collect --ready --dir DIR</c> is the collector's startupProbe: exit 0 when the collector waiting in the same
    /// container has created <see cref="ReadyFileName"/>, else 1.
    /// </summary>
    public const string ReadyFlag = "--ready";

    /// <summary>
    /// <c>collect ... --install-init DEST</c>: before it is ready, the collector copies codeexec-init from beside its own
    /// binary (the operator image's <c>/app/codeexec-init</c>) to DEST, mode 0555, in the volume the code container mounts
    /// read-only. The code starts only after the collector is ready, so the init is always in place by then.
    /// </summary>
    public const string InstallInitFlag = "--install-init";

    /// <summary>Runs the command: parses <paramref name="args"/>, waits for <paramref name="stop"/>, prints the record.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Task stop)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(stop);
        string? directory = null;
        int? limit = null;
        var readyCheck = false;
        string? installInit = null;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case ReadyFlag:
                    readyCheck = true;
                    break;
                case InstallInitFlag when value is not null:
                    installInit = value;
                    i++;
                    break;
                case "--dir" when value is not null:
                    directory = value;
                    i++;
                    break;
                case "--limit-bytes" when value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0:
                    limit = parsed;
                    i++;
                    break;
                default:
                    await stderr.WriteLineAsync($"collect: unexpected argument '{args[i]}'. Usage: collect --dir DIR --limit-bytes N");
                    return UsageExitCode;
            }
        }

        if (readyCheck && directory is not null)
        {
            // The startupProbe: ready once the waiting collector has created its marker.
            return File.Exists(Path.Combine(directory, ReadyFileName)) ? 0 : 1;
        }

        if (directory is null || limit is null)
        {
            await stderr.WriteLineAsync("collect: --dir and --limit-bytes (a positive integer) are required");
            return UsageExitCode;
        }

        // One line on stderr (outside the record) says the handler is in place; the decoder skips lines before the record.
        await stderr.WriteLineAsync($"collect: waiting for SIGTERM to read {directory}");
        await stderr.FlushAsync();
        if (installInit is not null && !await InstallInitAsync(installInit, stderr))
        {
            // Not ready: the code cannot run without its init, and the Pod fails by its start deadline with this log.
            await stop;
            return 1;
        }

        await SignalReadyAsync(directory, stderr);
        await stop;
        var stdoutCapture = Capture(Path.Combine(directory, "stdout"), limit.Value);
        var stderrCapture = Capture(Path.Combine(directory, "stderr"), limit.Value);
        OutputRecord.Write(stdout, stdoutCapture, stderrCapture);
        return 0;
    }

    /// <summary>
    /// Creates <see cref="ReadyFileName"/> in the output folder once the SIGTERM handler is in place. The collector's
    /// startupProbe (<see cref="ReadyFlag"/>) passes on it, and the kubelet starts the code only then, so a program that
    /// ends at once cannot have the collector stopped while it is still starting (it would die without its record).
    /// </summary>
    private static async Task SignalReadyAsync(string directory, TextWriter stderr)
    {
        try
        {
            await using var ready = File.Create(Path.Combine(directory, ReadyFileName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"collect: cannot create {ReadyFileName} in {directory} ({e.Message}); its startupProbe cannot pass");
        }
    }

    /// <summary>Copies codeexec-init (beside this binary) to <paramref name="destination"/>, mode 0555, atomically.</summary>
    private static async Task<bool> InstallInitAsync(string destination, TextWriter stderr)
    {
        var source = Path.Combine(AppContext.BaseDirectory, Sandbox.SandboxRenderer.InitFileName);
        var temporary = destination + ".tmp";
        try
        {
            File.Copy(source, temporary, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                    | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            File.Move(temporary, destination, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"collect: cannot install {source} as {destination} ({e.Message}); the code cannot start");
            return false;
        }
    }

    /// <summary>
    /// Reads one stream file in O(<paramref name="limitBytes"/>) work and memory, whatever its size (a sparse file of
    /// 1 GiB costs the same as a small one): it opens the path with <c>O_NOFOLLOW|O_NONBLOCK</c> (a symbolic link is
    /// refused, a FIFO never blocks), checks with <c>fstat</c> on that descriptor that it is a regular file, takes the
    /// byte count from its size, reads the head from the start and seeks to the tail. The counts are file sizes, which
    /// the program could also set with <c>ftruncate</c> or by seeking: they say how large the file was, not how many
    /// bytes were written.
    /// </summary>
    public static CapturedStream Capture(string path, int limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the collector runs on Linux");
        }

        var fd = Open(path, ORdOnly | ONoFollow | ONonBlock | OCloExec);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() switch
            {
                ENoEnt => CapturedStream.Empty(CaptureState.Missing),
                ELoop or ENotDir => CapturedStream.Empty(CaptureState.Invalid),
                _ => CapturedStream.Empty(CaptureState.Unreadable),
            };
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (!IsRegularFile(handle))
            {
                return CapturedStream.Empty(CaptureState.Invalid);
            }

            var size = RandomAccess.GetLength(handle);
            var headLength = (int)Math.Min(size, (limitBytes + 1) / 2);
            var tailLength = (int)Math.Min(size - headLength, limitBytes / 2);
            var head = ReadAt(handle, 0, headLength);
            var tail = ReadAt(handle, size - tailLength, tailLength);
            var state = head.Length == headLength && tail.Length == tailLength ? CaptureState.Ok : CaptureState.Unreadable;
            return new CapturedStream(state, size, head, tail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CapturedStream.Empty(CaptureState.Unreadable);
        }
    }

    /// <summary>Up to <paramref name="length"/> bytes from <paramref name="offset"/> (fewer when the file shrank meanwhile).</summary>
    private static byte[] ReadAt(SafeFileHandle handle, long offset, int length)
    {
        var buffer = new byte[length];
        var done = 0;
        while (done < length)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(done, Math.Min(ReadChunkBytes, length - done)), offset + done);
            if (read == 0)
            {
                break;
            }

            done += read;
        }

        return done == length ? buffer : buffer[..done];
    }

    private const int ORdOnly = 0;
    private const int ONoFollow = 0x20000; // x86-64; arm64 (asm-generic) uses 0x8000, see Open
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int ELoop = 40;
    private const int SIfMt = 0xF000;
    private const int SIfReg = 0x8000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(SafeFileHandle fd, Span<byte> stat);

    private static int Open(string path, int flags) =>
        OpenNative(path, RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? (flags & ~ONoFollow) | 0x8000 : flags);

    /// <summary>
    /// <c>S_ISREG</c> of <c>fstat</c> on the descriptor (not the path, which the program could swap). <c>st_mode</c> is at
    /// offset 24 of <c>struct stat</c> on x86-64 and at 16 on arm64.
    /// </summary>
    private static bool IsRegularFile(SafeFileHandle handle)
    {
        Span<byte> stat = stackalloc byte[256];
        if (FStat(handle, stat) != 0)
        {
            throw new IOException("fstat failed: errno " + Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture));
        }

        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            var other => throw new PlatformNotSupportedException($"the collector knows struct stat only on x64 and arm64, not {other}"),
        };
        var mode = BitConverter.ToUInt32(stat[modeOffset..]);
        return (mode & SIfMt) == SIfReg;
    }
}
