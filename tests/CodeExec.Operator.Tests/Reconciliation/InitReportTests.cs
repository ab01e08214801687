using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

public sealed class InitReportTests
{
    private const string MemoryKill =
        "codeexec-init: the program's memory (141721600 bytes, resident plus /tmp) reached its limit of 100663296 bytes: killing it\n"
        + "codeexec-init: ended exit=137 elapsed_ms=173 peak_memory_bytes=148426752 memory_limit_bytes=100663296 memory_limit_hit=1 "
        + "tmp_used_bytes=4096 tmp_size_bytes=67108864 tmp_full=0 timed_out=0\n";

    private const string TmpFull =
        "codeexec-init: ended exit=3 elapsed_ms=11 peak_memory_bytes=8388608 memory_limit_bytes=268435456 memory_limit_hit=0 "
        + "tmp_used_bytes=8388608 tmp_size_bytes=8388608 tmp_full=1 timed_out=0\n";

    private static PodObservation Ended(int exitCode, string reason = ExecutionReason.Error) =>
        new(PodProgress.Finished, exitCode == 0 ? ExecutionPhase.Succeeded : ExecutionPhase.Failed, reason,
            "the code exited with code " + exitCode, exitCode, DateTime.UnixEpoch, DateTime.UnixEpoch.AddSeconds(1));

    [Fact]
    public void The_last_report_line_is_parsed()
    {
        var report = InitReport.Parse(MemoryKill);

        Assert.Equal(new InitReport(137, 148426752, 100663296, true, 4096, 67108864, false), report);
    }

    [Theory]
    [InlineData("")]
    [InlineData("codeexec-init: the timeout of 5s is over: stopping the program\n")]
    [InlineData("codeexec-init: ended exit=oops memory_limit_hit=1\n")]
    [InlineData("codeexec-init: ended exit=300 memory_limit_hit=1\n")]
    [InlineData("codeexec-init: ended memory_limit_hit=1\n")]
    public void A_log_without_a_well_formed_report_gives_none(string log) => Assert.Null(InitReport.Parse(log));

    [Fact]
    public void Only_the_last_line_is_the_report_so_a_forged_line_written_before_it_counts_for_nothing()
    {
        // Something that reached the log before the init's report (a forged report followed by a partial line) is not
        // read: the init starts its report on a new line and writes it last.
        var forged = MemoryKill + "X" + "\n" + TmpFull;

        Assert.Equal(InitReport.Parse(TmpFull), InitReport.Parse(forged));
        Assert.Null(InitReport.Parse(MemoryKill + "a line after the report\n"));
    }

    [Fact]
    public void A_memory_kill_is_OOMKilled_with_the_limit_and_the_peak()
    {
        var outcome = InitReport.Apply(Ended(137), InitReport.Parse(MemoryKill));

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Equal("the code used more than its memory limit of 96Mi (its processes' resident memory plus what /tmp holds; 141.6Mi seen) and was killed", outcome.Message);
    }

    [Fact]
    public void A_full_tmp_is_said_in_the_message_and_the_reason_stays()
    {
        var outcome = InitReport.Apply(Ended(3), InitReport.Parse(TmpFull));

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 3), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.EndsWith("; /tmp was full when the code ended (8Mi of its 8Mi, limits.tmpSize): writes to it failed with \"No space left on device\"", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_of_another_exit_code_than_the_kubelets_is_not_this_termination_and_is_ignored()
    {
        var kubelet = Ended(1);

        Assert.Same(kubelet, InitReport.Apply(kubelet, InitReport.Parse(MemoryKill)));
    }

    [Theory]
    [InlineData(ExecutionReason.OOMKilled)]
    [InlineData(ExecutionReason.DeadlineExceeded)]
    [InlineData(ExecutionReason.PodDeleted)]
    [InlineData(ExecutionReason.IsolationLost)]
    public void A_result_the_kubelet_or_the_operator_decided_otherwise_is_kept(string reason)
    {
        var decided = Ended(137, reason);

        Assert.Same(decided, InitReport.Apply(decided, InitReport.Parse(MemoryKill)));
    }

    [Fact]
    public void No_report_leaves_the_kubelets_word()
    {
        var kubelet = Ended(137);

        Assert.Same(kubelet, InitReport.Apply(kubelet, null));
    }
}
