using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

public sealed class FinalStatusBuilderTests
{
    private static readonly DateTime Started = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly DateTime Finished = Started.AddMilliseconds(1250);
    private static readonly SandboxRun Run = new("python", "python@sha256:abc", "hello-sandbox", "abc123", 65536);

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(Finished.AddMilliseconds(2700)));

    [Fact]
    public void Success_status_has_every_field()
    {
        var execution = TestObjects.Execution();
        execution.Metadata.Generation = 3;
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed, "the code exited with code 0", 0, Started, Finished);
        var output = new CollectedOutput(new StreamOutput("hi\n", "utf-8", false, 3, null), new StreamOutput("", "utf-8", false, 0, null));

        var status = FinalStatusBuilder.Final(execution, outcome, output, null, Run, Clock());

        Assert.Equal(ExecutionPhase.Succeeded, status.Phase);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(ExecutionReason.Completed, status.Reason);
        Assert.Equal("the code exited with code 0", status.Message);
        Assert.Equal(("hi\n", "", "utf-8", "utf-8"), (status.Stdout, status.Stderr, status.StdoutEncoding, status.StderrEncoding));
        Assert.Equal((false, false, 3L, 0L), (status.StdoutTruncated, status.StderrTruncated, status.StdoutBytes, status.StderrBytes));
        Assert.Equal(Started, status.StartTime);
        Assert.Equal(Finished, status.CompletionTime);
        Assert.Equal(1250, status.DurationMs);
        Assert.Equal("1.25s", status.Duration);
        Assert.Equal(("python", "hello-sandbox", "python@sha256:abc", "abc123"), (status.Runtime, status.PodName, status.Image, status.CodeSha256));
        Assert.Equal(3, status.ObservedGeneration);
        Assert.Equal(["Admitted", "PodCreated", "Started", "Finished"], status.Conditions!.Select(c => c.Type));
        Assert.All(status.Conditions!, c => Assert.Equal(("True", 3L), (c.Status, c.ObservedGeneration ?? 0)));
        Assert.All(status.Conditions!, c => Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 8, DateTimeKind.Utc), c.LastTransitionTime));
        Assert.Equal(ExecutionReason.Completed, status.Conditions!.Single(c => c.Type == "Finished").Reason);
    }

    [Fact]
    public void Output_that_fills_the_output_buffer_ends_Failed_OutputLimitExceeded_naming_the_limit()
    {
        var run = Run with { OutputBufferBytes = 16 * 1024 * 1024 };
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.Error, "the code exited with code 1", 1, Started, Finished);
        var output = new CollectedOutput(new StreamOutput("x", "utf-8", true, 16 * 1024 * 1024 - 8192, null), new StreamOutput("Traceback", "utf-8", false, 9, null));

        var status = FinalStatusBuilder.Final(TestObjects.Execution(), outcome, output, null, run, Clock());

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.OutputLimitExceeded, 1), (status.Phase, status.Reason, status.ExitCode));
        Assert.StartsWith("the code wrote more output than the output buffer holds (16Mi for stdout and stderr together, Sandbox:OutputBufferSize) and its further writes failed; it exited with code 1",
            status.Message, StringComparison.Ordinal);
        Assert.Equal(16 * 1024 * 1024 - 8192, status.StdoutBytes);
    }

    [Fact]
    public void A_program_that_ignored_its_failed_writes_and_exited_0_still_reads_OutputLimitExceeded()
    {
        var run = Run with { OutputBufferBytes = 1024 * 1024 };
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed, "the code exited with code 0", 0, Started, Finished);
        var output = new CollectedOutput(new StreamOutput("x", "utf-8", true, 600_000, null), new StreamOutput("y", "utf-8", true, 448_576, null));

        var outcomeWithLimit = FinalStatusBuilder.WithOutputLimit(outcome, output, run);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.OutputLimitExceeded), (outcomeWithLimit.Phase, outcomeWithLimit.Reason));
    }

    [Fact]
    public void Output_below_the_buffer_or_a_timeout_keeps_its_outcome()
    {
        var run = Run with { OutputBufferBytes = 1024 * 1024 };
        var small = new CollectedOutput(new StreamOutput("x", "utf-8", true, 500_000, null), new StreamOutput("", "utf-8", false, 0, null));
        var full = new CollectedOutput(new StreamOutput("x", "utf-8", true, 1024 * 1024, null), new StreamOutput("", "utf-8", false, 0, null));
        var error = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.Error, "the code exited with code 1", 1, Started, Finished);
        var timedOut = new PodObservation(PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, "timeout", 124, Started, Finished);

        Assert.Same(error, FinalStatusBuilder.WithOutputLimit(error, small, run));
        Assert.Same(timedOut, FinalStatusBuilder.WithOutputLimit(timedOut, full, run));
        Assert.Same(error, FinalStatusBuilder.WithOutputLimit(error, full, Run)); // buffer unknown
    }

    [Fact]
    public void Existing_condition_keeps_its_transition_time_when_its_status_is_unchanged()
    {
        var execution = TestObjects.Execution();
        var admittedAt = Started.AddSeconds(-10);
        execution.Status = new CodeExecutionStatus
        {
            Phase = ExecutionPhase.Running,
            StartTime = Started,
            Conditions = [new V1Condition { Type = "Admitted", Status = "True", Reason = "Admitted", Message = "m", LastTransitionTime = admittedAt }],
        };
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, "too slow", null, null, null);

        var status = FinalStatusBuilder.Final(execution, outcome, null, "the collector's log holds no output record", Run, Clock());

        Assert.Equal(admittedAt, status.Conditions!.Single(c => c.Type == "Admitted").LastTransitionTime);
        Assert.Equal(Started, status.StartTime); // kept from status when the pod no longer says
        Assert.Equal(Finished.AddMilliseconds(2700), status.CompletionTime); // the clock, as the code's end is unknown
        Assert.Equal(3950, status.DurationMs);
        Assert.Equal("too slow; output not collected: the collector's log holds no output record", status.Message);
        Assert.Null(status.Stdout);
        Assert.Null(status.StdoutBytes);
        Assert.Null(status.ExitCode);
    }

    [Fact]
    public void Truncation_and_binary_are_described_in_the_message()
    {
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.Error, "the code exited with code 1", 1, Started, Finished);
        var output = new CollectedOutput(new StreamOutput("…", "utf-8", true, 9_000_000, null), new StreamOutput("AAE=", "base64", false, 2, null));

        var status = FinalStatusBuilder.Final(TestObjects.Execution(), outcome, output, null, Run, Clock());

        Assert.Equal("the code exited with code 1; stdout truncated: 9000000 bytes written, head and tail kept; stderr is not valid UTF-8 and is base64-encoded", status.Message);
        Assert.Equal((true, false, "base64"), (status.StdoutTruncated, status.StderrTruncated, status.StderrEncoding));
    }

    [Fact]
    public void A_pod_that_never_started_has_no_start_and_a_false_Started_condition()
    {
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.Unschedulable, "no node", null, null, null);

        var status = FinalStatusBuilder.Final(TestObjects.Execution(), outcome, null, null, Run, Clock());

        Assert.Equal("no node", status.Message);
        Assert.Null(status.StartTime);
        Assert.Null(status.DurationMs);
        Assert.Null(status.Duration);
        Assert.Equal(("False", ExecutionReason.Unschedulable), status.Conditions!.Where(c => c.Type == "Started").Select(c => (c.Status, c.Reason)).Single());
    }

    [Fact]
    public void An_unfinished_outcome_is_refused()
    {
        var running = new PodObservation(PodProgress.Running, ExecutionPhase.Running, null, "running", null, Started, null);

        Assert.Throws<ArgumentException>(() => FinalStatusBuilder.Final(TestObjects.Execution(), running, null, null, Run, Clock()));
    }

    [Fact]
    public void Rejected_status_carries_every_admission_error()
    {
        var execution = TestObjects.Execution(runtime: "cobol");
        var admission = Admission.Admit(execution, null, new SandboxOptions());

        var status = FinalStatusBuilder.Rejected(execution, admission, Clock());

        Assert.Equal((ExecutionPhase.Rejected, ExecutionReason.Rejected, "CodeRuntime \"cobol\" not found"), (status.Phase, status.Reason, status.Message));
        Assert.Equal([("Admitted", "False"), ("Finished", "True")], status.Conditions!.Select(c => (c.Type, c.Status)));
        Assert.Equal(1, status.ObservedGeneration);
        Assert.Null(status.PodName);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(5, "0s")]
    [InlineData(250, "0.25s")]
    [InlineData(1250, "1.25s")]
    [InlineData(3000, "3s")]
    [InlineData(59_999, "59.99s")]
    [InlineData(123_000, "2m3s")]
    [InlineData(3_605_000, "1h0m5s")]
    public void Durations_read_well(long ms, string expected) => Assert.Equal(expected, FinalStatusBuilder.FormatDuration(ms));

    [Fact]
    public void Sandbox_run_is_read_from_status_never_from_the_pod_and_is_capped_at_the_cluster_maximum()
    {
        var request = TestObjects.Request();
        var options = new SandboxOptions();
        var run = SandboxRun.From(request);
        var execution = TestObjects.Execution();
        execution.Status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Pending, null, "created", run, null, TimeProvider.System);

        Assert.Equal(run with { OutputBufferBytes = 16 * 1024 * 1024 }, SandboxRun.FromStatus(execution, options)); // the buffer is the configured one
        Assert.Equal(OutputRecord.MaxRecordBytes(65536), SandboxRun.FromStatus(execution, options).LogLimitBytes);

        execution.Status.OutputBytes = int.MaxValue;
        Assert.Equal(options.MaxOutputBytes, SandboxRun.FromStatus(execution, options).OutputBytes);
    }

    [Fact]
    public void In_progress_status_moves_conditions_forward_and_keeps_what_ran()
    {
        var execution = TestObjects.Execution();
        var clock = Clock();
        var queued = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Queued, ExecutionReason.QuotaExceeded, "waiting for capacity", null, null, clock);
        Assert.Equal((ExecutionPhase.Queued, ExecutionReason.QuotaExceeded), (queued.Phase, queued.Reason));
        Assert.Equal(["Admitted"], queued.Conditions!.Select(c => c.Type));

        execution.Status = queued;
        clock.Advance(TimeSpan.FromSeconds(10));
        var running = new PodObservation(PodProgress.Running, ExecutionPhase.Running, null, "the code is running", null, Started, null);
        var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Running, null, "the code is running", Run, running, clock);

        Assert.Equal(["Admitted", "PodCreated", "Started"], status.Conditions!.Select(c => c.Type));
        Assert.Equal(queued.Conditions![0].LastTransitionTime, status.Conditions![0].LastTransitionTime);
        Assert.NotEqual(queued.Conditions![0].LastTransitionTime, status.Conditions![1].LastTransitionTime);
        Assert.Equal((Started, "hello-sandbox", "abc123", "python"), (status.StartTime, status.PodName, status.CodeSha256, status.Runtime));
        Assert.Throws<ArgumentException>(() => FinalStatusBuilder.InProgress(execution, ExecutionPhase.Succeeded, null, "", Run, null, clock));
    }
}
