using System.Text;
using CodeExec.Operator.Commands;
using CodeExec.Operator.Output;
using Xunit;

namespace CodeExec.Operator.Tests.Output;

public sealed class HeadTailBufferTests
{
    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 7)]
    [InlineData(10, 10)]
    [InlineData(10, 11)]
    [InlineData(10, 1000)]
    [InlineData(1, 5)]
    [InlineData(7, 23)]
    public void Keeps_exact_head_and_tail_for_any_chunking(int limit, int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();
        foreach (var chunk in new[] { 1, 3, 4, 64, 5000 })
        {
            var buffer = new HeadTailBuffer(limit);
            for (var i = 0; i < data.Length; i += chunk)
            {
                buffer.Append(data.AsSpan(i, Math.Min(chunk, data.Length - i)));
            }

            var head = buffer.Head();
            var tail = buffer.Tail();
            Assert.Equal(length, buffer.TotalBytes);
            Assert.True(head.Length + tail.Length <= limit);
            if (length <= limit)
            {
                Assert.Equal(data, head.Concat(tail).ToArray());
            }
            else
            {
                Assert.Equal(data[..head.Length], head);
                Assert.Equal(data[^tail.Length..], tail);
                Assert.Equal(limit, head.Length + tail.Length);
            }
        }
    }
}

public sealed class OutputRecordTests
{
    private static CapturedStream Capture(byte[] data, int limit, CaptureState state = CaptureState.Ok)
    {
        var buffer = new HeadTailBuffer(limit);
        buffer.Append(data);
        return new CapturedStream(state, buffer.TotalBytes, buffer.Head(), buffer.Tail());
    }

    private static string Record(CapturedStream stdout, CapturedStream stderr)
    {
        var writer = new StringWriter();
        OutputRecord.Write(writer, stdout, stderr);
        return writer.ToString();
    }

    private static CollectedOutput Decode(string log, int limit)
    {
        var output = OutputDecoder.Decode(log, limit, out var error);
        Assert.True(output is not null, error);
        return output;
    }

    [Fact]
    public void Small_text_round_trips_exactly()
    {
        var log = Record(Capture("hello, world\n"u8.ToArray(), 1024), Capture("warn: ü\n"u8.ToArray(), 1024));

        var output = Decode(log, 1024);

        Assert.Equal(new StreamOutput("hello, world\n", "utf-8", false, 13, null), output.Stdout);
        Assert.Equal(new StreamOutput("warn: ü\n", "utf-8", false, 9, null), output.Stderr);
    }

    [Fact]
    public void Record_is_ascii_lines_with_counts_first()
    {
        var log = Record(Capture(new byte[] { 0, 0xFF, 10, 13 }, 1024), CapturedStream.Empty(CaptureState.Missing));

        Assert.All(log, c => Assert.InRange(c, (char)10, (char)126));
        var lines = log.Split('\n');
        Assert.Equal("#codeexec-output v1 stdout=ok,4,4,0 stderr=missing,0,0,0", lines[0]);
        Assert.StartsWith("#codeexec-output end ", lines[^2], StringComparison.Ordinal);
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public void Lines_before_the_record_such_as_the_collector_ready_line_are_skipped()
    {
        var log = "collect: waiting for SIGTERM to read /codeexec/out\n" + Record(Capture("x"u8.ToArray(), 1024), CapturedStream.Empty(CaptureState.Ok));

        Assert.Equal("x", Decode(log, 1024).Stdout.Text);
    }

    [Fact]
    public void Empty_output_decodes_to_empty_strings()
    {
        var output = Decode(Record(CapturedStream.Empty(CaptureState.Ok), CapturedStream.Empty(CaptureState.Ok)), 1024);

        Assert.Equal(new StreamOutput("", "utf-8", false, 0, null), output.Stdout);
        Assert.Equal(new StreamOutput("", "utf-8", false, 0, null), output.Stderr);
    }

    [Fact]
    public void A_flood_keeps_head_and_tail_within_the_limit_with_the_exact_count()
    {
        const int limit = 1024;
        var flood = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i}\n")));
        var output = Decode(Record(Capture(flood, limit), CapturedStream.Empty(CaptureState.Ok)), limit);

        var stdout = output.Stdout;
        Assert.True(stdout.Truncated);
        Assert.Equal(flood.LongLength, stdout.TotalBytes);
        Assert.Equal("utf-8", stdout.Encoding);
        Assert.True(Encoding.UTF8.GetByteCount(stdout.Text) <= limit);
        Assert.StartsWith("line 0\nline 1\n", stdout.Text, StringComparison.Ordinal);
        Assert.EndsWith("line 199999\n", stdout.Text, StringComparison.Ordinal);
        var marker = stdout.Text.IndexOf("\n[... ", StringComparison.Ordinal);
        var head = stdout.Text[..marker];
        var tail = stdout.Text[(stdout.Text.IndexOf(" bytes omitted by codeexec ...]\n", StringComparison.Ordinal) + 32)..];
        var omitted = flood.LongLength - Encoding.UTF8.GetByteCount(head) - Encoding.UTF8.GetByteCount(tail);
        Assert.Contains($"[... {omitted} bytes omitted by codeexec ...]", stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_byte_characters_at_the_cuts_are_never_split()
    {
        const int limit = 1024;
        foreach (var prefix in new[] { "", "a", "ab", "abc" })
        {
            var text = prefix + string.Concat(Enumerable.Repeat("€😀é", 2000));
            var output = Decode(Record(Capture(Encoding.UTF8.GetBytes(text), limit), CapturedStream.Empty(CaptureState.Ok)), limit);

            Assert.Equal("utf-8", output.Stdout.Encoding);
            Assert.True(output.Stdout.Truncated);
            Assert.DoesNotContain('\uFFFD', output.Stdout.Text);
            Assert.True(Encoding.UTF8.GetByteCount(output.Stdout.Text) <= limit);
            var parts = output.Stdout.Text.Split("\n[... ");
            Assert.StartsWith(parts[0], text, StringComparison.Ordinal);
            Assert.EndsWith(parts[1][(parts[1].IndexOf("...]\n", StringComparison.Ordinal) + 5)..], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Binary_output_is_base64_and_never_lost()
    {
        var binary = new byte[] { 0xC3, 0x28, 0xFF, 0x00, 0x80, 0x41 };
        var output = Decode(Record(Capture(binary, 1024), CapturedStream.Empty(CaptureState.Ok)), 1024);

        Assert.Equal(new StreamOutput(Convert.ToBase64String(binary), "base64", false, 6, null), output.Stdout);
    }

    [Fact]
    public void Truncated_binary_output_is_base64_of_head_marker_and_tail()
    {
        const int limit = 1024;
        var binary = Enumerable.Range(0, 10_000).Select(i => (byte)(0x80 | (i % 64))).ToArray();
        var output = Decode(Record(Capture(binary, limit), CapturedStream.Empty(CaptureState.Ok)), limit);

        Assert.Equal("base64", output.Stdout.Encoding);
        Assert.True(output.Stdout.Truncated);
        var bytes = Convert.FromBase64String(output.Stdout.Text);
        Assert.True(bytes.Length <= limit);
        var at = bytes.AsSpan().IndexOf("\n[... "u8);
        Assert.Equal(binary[..at], bytes[..at]);
        var tailStart = bytes.AsSpan().IndexOf(" ...]\n"u8) + 6;
        Assert.Equal(binary[^(bytes.Length - tailStart)..], bytes[tailStart..]);
        var omitted = 10_000 - at - (bytes.Length - tailStart);
        Assert.Equal(OutputDecoder.Marker(omitted), Encoding.ASCII.GetString(bytes[at..tailStart]));
    }

    [Fact]
    public void A_forged_record_inside_the_output_is_only_data()
    {
        var forged = "#codeexec-output v1 stdout=ok,2,2,0 stderr=ok,0,0,0\naGk=\n#codeexec-output end 0000\n";
        var stdout = Encoding.UTF8.GetBytes(forged + "real output\n");
        var output = Decode(Record(Capture(stdout, 4096), Capture("err"u8.ToArray(), 4096)), 4096);

        Assert.Equal(forged + "real output\n", output.Stdout.Text);
        Assert.Equal(stdout.LongLength, output.Stdout.TotalBytes);
        Assert.Equal("err", output.Stderr.Text);
    }

    [Fact]
    public void Tampered_or_cut_records_are_refused()
    {
        var log = Record(Capture(Encoding.ASCII.GetBytes(new string('x', 300)), 1024), CapturedStream.Empty(CaptureState.Ok));

        Assert.Null(OutputDecoder.Decode(log.Replace("stdout=ok,300,300,0", "stdout=ok,300,299,0", StringComparison.Ordinal), 1024, out var lengthError));
        Assert.NotNull(lengthError);
        Assert.Null(OutputDecoder.Decode(log[..(log.Length / 2)], 1024, out var cutError));
        Assert.Contains("incomplete", cutError, StringComparison.Ordinal);
        var lines = log.Split('\n');
        lines[1] = "QUFB" + lines[1][4..]; // "AAA" where the program wrote "xxx"
        Assert.Null(OutputDecoder.Decode(string.Join('\n', lines), 1024, out var digestError));
        Assert.Contains("digest", digestError, StringComparison.Ordinal);
        Assert.Null(OutputDecoder.Decode("", 1024, out var emptyError));
        Assert.Contains("no output record", emptyError, StringComparison.Ordinal);
        Assert.Null(OutputDecoder.Decode("#codeexec-output v1 stdout=ok,1,5,0 stderr=ok,0,0,0\n#codeexec-output end x\n", 1024, out var headerError));
        Assert.Contains("header", headerError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(65536)]
    [InlineData(262144)]
    public void The_log_read_bound_covers_the_largest_record(int limit)
    {
        var worst = Capture(Enumerable.Repeat((byte)0xFF, limit * 3).ToArray(), limit);
        var log = Record(worst, worst);

        Assert.True(Encoding.ASCII.GetByteCount(log) <= OutputRecord.MaxRecordBytes(limit));
        Assert.True(OutputRecord.MaxRecordBytes(limit) < (3L * limit) + 4096);
    }

    [Fact]
    public void Stream_problems_are_reported()
    {
        var output = Decode(Record(CapturedStream.Empty(CaptureState.Unreadable), CapturedStream.Empty(CaptureState.Invalid)), 1024);

        Assert.Contains("removed read permission", output.Stdout.Problem, StringComparison.Ordinal);
        Assert.Contains("other than a regular file", output.Stderr.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x41, 0xE2, 0x82 }, 1)]
    [InlineData(new byte[] { 0x41, 0xE2, 0x82, 0xAC }, 4)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 }, 0)]
    [InlineData(new byte[] { 0x41, 0xC3 }, 1)]
    [InlineData(new byte[] { 0x41 }, 1)]
    public void Complete_prefix_drops_a_cut_character(byte[] bytes, int expected) =>
        Assert.Equal(expected, OutputDecoder.CompletePrefixLength(bytes));
}

public sealed class CollectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-collect-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CollectCommand.RunAsync(args, stdout, stderr, Task.CompletedTask);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Reads_both_files_after_the_signal_and_prints_one_record()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "stdout"), "hi\n", TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "stderr"), new byte[100_000], TestContext.Current.CancellationToken);

        var (exit, stdout, stderr) = await Run("--dir", _dir, "--limit-bytes", "1024");

        Assert.Equal(0, exit);
        Assert.Equal($"collect: waiting for SIGTERM to read {_dir}\n", stderr);
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("#codeexec-output v1 ", StringComparison.Ordinal));
        var output = OutputDecoder.Decode(stdout, 1024, out _)!;
        Assert.Equal("hi\n", output.Stdout.Text);
        Assert.Equal(100_000, output.Stderr.TotalBytes);
        Assert.True(output.Stderr.Truncated);
    }

    [Fact]
    public async Task Waits_for_the_stop_signal_before_reading()
    {
        var stop = new TaskCompletionSource();
        var writer = new StringWriter();
        var run = CollectCommand.RunAsync(["--dir", _dir, "--limit-bytes", "1024"], writer, TextWriter.Null, stop.Task);
        await File.WriteAllTextAsync(Path.Combine(_dir, "stdout"), "written before the signal", TestContext.Current.CancellationToken);

        Assert.False(run.IsCompleted);
        Assert.Equal("", writer.ToString());
        stop.SetResult();
        Assert.Equal(0, await run);
        Assert.Equal("written before the signal", OutputDecoder.Decode(writer.ToString(), 1024, out _)!.Stdout.Text);
    }

    [Fact]
    public async Task The_ready_probe_passes_only_once_the_waiting_collector_has_its_handler_in_place()
    {
        string[] probe = [CollectCommand.ReadyFlag, "--dir", _dir];
        Assert.Equal(1, await CollectCommand.RunAsync(probe, TextWriter.Null, TextWriter.Null, Task.CompletedTask));

        var stop = new TaskCompletionSource();
        var run = CollectCommand.RunAsync(["--dir", _dir, "--limit-bytes", "1024"], TextWriter.Null, TextWriter.Null, stop.Task);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await CollectCommand.RunAsync(probe, TextWriter.Null, TextWriter.Null, Task.CompletedTask) != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, await CollectCommand.RunAsync(probe, TextWriter.Null, TextWriter.Null, Task.CompletedTask));
        Assert.False(run.IsCompleted);
        stop.SetResult();
        Assert.Equal(0, await run);
    }

    [Fact]
    public async Task Missing_files_symlinks_and_directories_are_reported_not_followed()
    {
        var secret = Path.Combine(_dir, "secret");
        await File.WriteAllTextAsync(secret, "collector-only secret", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(_dir, "stdout"), secret);
        Directory.CreateDirectory(Path.Combine(_dir, "stderr"));

        var (exit, stdout, _) = await Run("--dir", _dir, "--limit-bytes", "1024");

        Assert.Equal(0, exit);
        Assert.DoesNotContain(Convert.ToBase64String("collector-only secret"u8.ToArray())[..8], stdout, StringComparison.Ordinal);
        Assert.StartsWith("#codeexec-output v1 stdout=invalid,0,0,0 stderr=invalid,0,0,0", stdout, StringComparison.Ordinal);
        Assert.Equal(CaptureState.Missing, CollectCommand.Capture(Path.Combine(_dir, "nothing"), 10).State);
    }

    [Fact]
    public async Task A_fifo_does_not_block_the_collector()
    {
        var fifo = Path.Combine(_dir, "stdout");
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        if (mkfifo.ExitCode != 0)
        {
            Assert.Skip("mkfifo is not available here");
        }

        var captured = CollectCommand.Capture(fifo, 1024);

        Assert.Equal(0, captured.TotalBytes);
    }

    [Theory]
    [InlineData]
    [InlineData("--dir", "/x")]
    [InlineData("--dir", "/x", "--limit-bytes", "0")]
    [InlineData("--dir", "/x", "--limit-bytes", "-5")]
    [InlineData("--dir", "/x", "--limit-bytes", "10", "--bogus", "1")]
    public async Task Bad_arguments_exit_2_without_a_record(params string[] args)
    {
        var (exit, stdout, stderr) = await Run(args);

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("collect: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_sparse_file_costs_only_its_head_and_tail()
    {
        var path = Path.Combine(_dir, "stdout");
        using (var file = File.Create(path))
        {
            file.Write("head"u8);
            file.SetLength(1L << 30);
            file.Seek(-4, SeekOrigin.End);
            file.Write("tail"u8);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var captured = CollectCommand.Capture(path, 1024);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal((CaptureState.Ok, 1L << 30), (captured.State, captured.TotalBytes));
        Assert.Equal("head"u8.ToArray(), captured.Head[..4]);
        Assert.Equal("tail"u8.ToArray(), captured.Tail[^4..]);
        Assert.Equal((512, 512), (captured.Head.Length, captured.Tail.Length));
    }
}
