using System.Globalization;
using System.Runtime.InteropServices;
using CodeExec.Operator.Output;

namespace CodeExec.Operator.Commands;

/// <summary>
/// <c>codeexec-operator collect --dir /codeexec/out --limit-bytes N</c>: the output collector sidecar. It waits for
/// SIGTERM (or SIGINT), which the kubelet sends once the code container has exited, then reads
/// <c>stdout</c> and <c>stderr</c> of the directory with constant memory, prints one <see cref="OutputRecord"/> to its
/// own stdout and exits 0. It runs as another user than the code, which cannot reach its stdout.
/// </summary>
internal static class CollectCommand
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
    /// Reads one stream file with constant memory: its exact length and at most <paramref name="limitBytes"/> bytes of
    /// head and tail. Symbolic links and directories are not followed; empty special files (such as a FIFO, which
    /// would block) are never opened.
    /// </summary>
    public static CapturedStream Capture(string path, int limitBytes)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || Directory.Exists(path))
        {
            return CapturedStream.Empty(CaptureState.Invalid);
        }

        if (!info.Exists)
        {
            return CapturedStream.Empty(CaptureState.Missing);
        }

        if (info.Length == 0)
        {
            return CapturedStream.Empty(CaptureState.Ok);
        }

        var buffer = new HeadTailBuffer(limitBytes);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
            var chunk = new byte[ReadChunkBytes];
            int read;
            while ((read = file.Read(chunk)) > 0)
            {
                buffer.Append(chunk.AsSpan(0, read));
            }
        }
        catch (UnauthorizedAccessException)
        {
            return CapturedStream.Empty(CaptureState.Unreadable);
        }
        catch (IOException)
        {
            return new CapturedStream(CaptureState.Unreadable, buffer.TotalBytes, buffer.Head(), buffer.Tail());
        }

        return new CapturedStream(CaptureState.Ok, buffer.TotalBytes, buffer.Head(), buffer.Tail());
    }
}
