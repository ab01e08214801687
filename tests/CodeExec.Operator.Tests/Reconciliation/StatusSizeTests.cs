using System.Net;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Autorest;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>Final statuses sized to be written (security review finding 6), and the fallback when one is refused anyway.</summary>
public sealed class StatusSizeTests
{
    private static readonly DateTime Started = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly SandboxRun Run = new("python", "python@sha256:abc", "bloat-sandbox", "abc123", 262144);
    private static readonly PodObservation Exited = new(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed,
        "the code exited with code 0", 0, Started, Started.AddSeconds(1));

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(Started.AddSeconds(3)));

    private static CapturedStream Capture(byte[] data, int limit)
    {
        var buffer = new HeadTailBuffer(limit);
        buffer.Append(data);
        return new CapturedStream(CaptureState.Ok, buffer.TotalBytes, buffer.Head(), buffer.Tail());
    }

    /// <summary>The PoC of finding 6: 262144 '&lt;' on stdout and 262144 \x01 on stderr, with outputBytes 262144.</summary>
    internal static (CapturedStream Stdout, CapturedStream Stderr) PocRecord() =>
        (Capture(Enumerable.Repeat((byte)'<', 262144).ToArray(), 262144), Capture(Enumerable.Repeat((byte)1, 262144).ToArray(), 262144));

    internal static CodeExecution PocExecution(string name = "bloat", string? code = null)
    {
        var execution = TestObjects.Execution(name, code ?? "import sys\nsys.stdout.write(\"<\" * 262144); sys.stderr.write(\"\\x01\" * 262144)\n");
        execution.Spec.Limits = new ExecutionLimits { OutputBytes = 262144 };
        return execution;
    }

    [Fact]
    public void The_finding_6_output_is_stored_whole_as_base64_within_the_size_limits()
    {
        var execution = PocExecution();

        var status = FinalStatusBuilder.FinalWithinSize(execution, Exited, PocRecord(), null, Run, Clock());

        Assert.Equal((OutputEncodings.Base64, OutputEncodings.Base64), (status.StdoutEncoding, status.StderrEncoding));
        Assert.Equal((false, false, 262144L, 262144L), (status.StdoutTruncated, status.StderrTruncated, status.StdoutBytes, status.StderrBytes));
        Assert.Equal(Enumerable.Repeat((byte)'<', 262144), Convert.FromBase64String(status.Stdout!));
        Assert.Equal(Enumerable.Repeat((byte)1, 262144), Convert.FromBase64String(status.Stderr!));
        Assert.Contains("stdout is base64-encoded because JSON escaping would have made it larger than base64", status.Message, StringComparison.Ordinal);
        Assert.True(StatusSize.Fits(execution, status));
        Assert.InRange(StatusSize.StoredBytes(execution, status), 700_000, StatusSize.MaxStoredObjectBytes - StatusSize.SlackBytes);
    }

    [Fact]
    public void A_spec_that_leaves_too_little_room_cuts_both_streams_and_keeps_the_true_counts()
    {
        // A spec padded with '<' (six bytes each once stored) and output that escaping cannot inflate (base64 or not).
        var execution = PocExecution("padded", "# " + new string('<', 120_000));
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i}\n")));
        var record = (Capture(text, 262144), Capture(text, 262144));

        var status = FinalStatusBuilder.FinalWithinSize(execution, Exited, record, null, Run, Clock());

        Assert.True(StatusSize.Fits(execution, status), $"stored {StatusSize.StoredBytes(execution, status)}");
        Assert.Equal((true, true), (status.StdoutTruncated, status.StderrTruncated));
        Assert.Equal(((long)text.Length, (long)text.Length), (status.StdoutBytes, status.StderrBytes));
        Assert.StartsWith("line 0\n", status.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("line 39999\n", status.Stderr, StringComparison.Ordinal);
        Assert.Contains("stdout cut further to keep the CodeExecution under its size limit", status.Message, StringComparison.Ordinal);
        // The room is shared: neither stream is starved while the other keeps everything.
        Assert.InRange(Encoding.UTF8.GetByteCount(status.Stdout!), 50_000, 200_000);
        Assert.InRange(Encoding.UTF8.GetByteCount(status.Stderr!), 50_000, 200_000);
        Assert.True(StatusSize.StoredBytes(execution, status) > StatusSize.MaxStoredObjectBytes - StatusSize.SlackBytes - 20_000, "the room is used");
    }

    [Fact]
    public void Small_output_is_not_touched()
    {
        var record = (Capture("hi\n"u8.ToArray(), 65536), Capture([], 65536));
        var execution = TestObjects.Execution();

        var status = FinalStatusBuilder.FinalWithinSize(execution, Exited, record, null, Run, Clock());

        Assert.Equal(("hi\n", "", false, false), (status.Stdout, status.Stderr, status.StdoutTruncated, status.StderrTruncated));
        Assert.Equal("the code exited with code 0", status.Message);
    }

    [Fact]
    public void The_fallback_keeps_the_result_and_says_why_the_output_is_missing()
    {
        var execution = PocExecution();
        var full = FinalStatusBuilder.FinalWithinSize(execution, Exited with { ExitCode = 3, Phase = ExecutionPhase.Failed, Reason = ExecutionReason.Error },
            PocRecord(), null, Run, Clock());

        var fallback = FinalStatusBuilder.WithoutOutput(full, "413 Request Entity Too Large: Request entity too large: limit is 3145728", 1, Clock());

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 3), (fallback.Phase, fallback.Reason, fallback.ExitCode));
        Assert.Null(fallback.Stdout);
        Assert.Null(fallback.Stderr);
        Assert.Null(fallback.StdoutEncoding);
        Assert.Null(fallback.StdoutTruncated);
        Assert.Equal((262144L, 262144L), (fallback.StdoutBytes, fallback.StderrBytes));
        Assert.Equal((full.PodUid, full.CompletionTime, full.DurationMs), (fallback.PodUid, fallback.CompletionTime, fallback.DurationMs));
        Assert.EndsWith("; the output could not be stored in status: the API server refused it (413 Request Entity Too Large: Request entity too large: limit is 3145728)",
            fallback.Message, StringComparison.Ordinal);
        Assert.Equal(fallback.Message, fallback.Conditions!.Single(c => c.Type == ConditionTypes.Finished).Message);
        Assert.True(StatusSize.StoredBytes(execution, fallback) < 10_000);
    }

    [Fact]
    public void The_fallback_keeps_every_status_field_but_the_output()
    {
        // Every property of the status type set, by reflection, so a field added later is covered: WithoutOutput must
        // keep it (or the test must name it as output).
        string[] output = ["Stdout", "Stderr", "StdoutEncoding", "StderrEncoding", "StdoutTruncated", "StderrTruncated"];
        string[] rewritten = ["Message", "Conditions"];
        var full = new CodeExecutionStatus();
        var properties = typeof(CodeExecutionStatus).GetProperties();
        foreach (var property in properties.Where(p => !rewritten.Contains(p.Name)))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(full, type switch
            {
                _ when type == typeof(string) => property.Name + "-value",
                _ when type == typeof(int) => 7,
                _ when type == typeof(long) => 7L,
                _ when type == typeof(bool) => true,
                _ when type == typeof(DateTime) => new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc),
                _ => throw new InvalidOperationException($"CodeExecutionStatus.{property.Name} has a type this test cannot fill: {type}"),
            });
        }

        var fallback = FinalStatusBuilder.WithoutOutput(full, "413", 1, Clock());

        Assert.EndsWith("; the output could not be stored in status: the API server refused it (413)", fallback.Message, StringComparison.Ordinal);
        Assert.Equal(fallback.Message, fallback.Conditions!.Single(c => c.Type == ConditionTypes.Finished).Message);
        Assert.All(properties.Where(p => !rewritten.Contains(p.Name)), property =>
            Assert.True(output.Contains(property.Name) ? property.GetValue(fallback) is null : Equals(property.GetValue(full), property.GetValue(fallback)),
                $"{property.Name}: {property.GetValue(full)} became {property.GetValue(fallback) ?? "null"}"));
    }

    [Theory]
    [InlineData(413, "", true)]
    [InlineData(422, "", true)]
    [InlineData(500, """{"kind":"Status","message":"etcdserver: request is too large","code":500}""", true)]
    [InlineData(500, """{"kind":"Status","message":"Internal error occurred","code":500}""", false)]
    [InlineData(409, "", false)]
    [InlineData(429, "", false)]
    public void Only_size_and_validity_refusals_take_the_fallback(int code, string body, bool expected)
    {
        var error = new HttpOperationException { Response = new HttpResponseMessageWrapper(new HttpResponseMessage((HttpStatusCode)code), body) };

        Assert.Equal(expected, StatusSize.IsRefusedForSize(error));
    }

    [Theory]
    [InlineData(413, "", true)]
    [InlineData(500, """{"kind":"Status","message":"etcdserver: request is too large","code":500}""", true)]
    [InlineData(422, "", false)]
    [InlineData(500, "", false)]
    public void Only_size_refusals_mean_no_status_can_be_written(int code, string body, bool expected)
    {
        var error = new HttpOperationException { Response = new HttpResponseMessageWrapper(new HttpResponseMessage((HttpStatusCode)code), body) };

        Assert.Equal(expected, StatusSize.IsTooLarge(error));
    }

    [Fact]
    public void The_write_body_carries_identity_resource_version_and_status_but_no_spec()
    {
        var execution = PocExecution();
        execution.Metadata.ResourceVersion = "42";
        execution.Metadata.Uid = "u-1";

        var body = StatusSize.WriteBody(execution, new CodeExecutionStatus { Phase = ExecutionPhase.Running });

        Assert.Equal(["apiVersion", "kind", "metadata", "status"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(("bloat", "42", "u-1"), ((string?)body["metadata"]!["name"], (string?)body["metadata"]!["resourceVersion"], (string?)body["metadata"]!["uid"]));
        Assert.Equal(ExecutionPhase.Running, (string?)body["status"]!["phase"]);
    }
}
