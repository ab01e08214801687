using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

public sealed class PodOutcomeTests
{
    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 0, DateTimeKind.Utc);
    private static readonly DateTime Started = Created.AddSeconds(5);
    private static readonly DateTime Finished = Started.AddMilliseconds(1250);
    private static readonly DateTimeOffset Now = new(Created.AddSeconds(30));
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(5);

    private static V1Pod Pod(string phase = "Pending", V1ContainerState? code = null, string? reason = null)
    {
        var pod = SandboxRenderer.Pod(TestObjects.Request(), new SandboxOptions());
        pod.Metadata.CreationTimestamp = Created;
        pod.Status = new V1PodStatus
        {
            Phase = phase,
            Reason = reason,
            Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "True" }],
            ContainerStatuses = code is null ? null : [new V1ContainerStatus { Name = "code", Image = "python@sha256:abc", State = code }],
        };
        return pod;
    }

    private static V1ContainerState Terminated(int exitCode, string reason = "Completed", DateTime? finished = null) => new()
    {
        Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Reason = reason, StartedAt = Started, FinishedAt = finished ?? Finished },
    };

    [Fact]
    public void Exit_0_is_Succeeded_Completed()
    {
        var outcome = PodOutcome.Observe(Pod("Succeeded", Terminated(0)), Now, StartDeadline);

        Assert.Equal(new PodObservation(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed, "the code exited with code 0", 0, Started, Finished), outcome);
        Assert.True(outcome.IsFinished);
    }

    [Fact]
    public void Non_zero_exit_is_Failed_Error_with_the_code()
    {
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(3, "Error")), Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 3), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Equal("the code exited with code 3", outcome.Message);
    }

    [Fact]
    public void Signal_exit_codes_are_explained()
    {
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(153, "Error")), Now, StartDeadline);

        Assert.Contains("SIGXFSZ", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OOMKilled_names_the_memory_limit()
    {
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(137, "OOMKilled")), Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Equal("the code used more than its memory limit of 128Mi and was killed", outcome.Message);
    }

    [Fact]
    public void Active_deadline_is_TimedOut_DeadlineExceeded()
    {
        var pod = Pod("Failed", new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Started } }, reason: "DeadlineExceeded");

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded), (outcome.Progress, outcome.Phase, outcome.Reason));
        Assert.Equal("the sandbox Pod ran past its backstop deadline of 365s (timeout, start deadline and grace period) and was stopped", outcome.Message);
        Assert.Equal(Started, outcome.StartedAt);
    }

    [Fact]
    public void Exit_124_after_the_whole_timeout_by_the_kubelets_clock_is_TimedOut()
    {
        // codeexec-init stopped the code at --timeout 60 (the built-in default); the kubelet saw the container run 60 s.
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(124, "Error", Started.AddSeconds(60))), Now, StartDeadline);

        Assert.Equal((ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, 124), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Equal("the code did not finish within its timeout of 60s (counted from its start) and was stopped", outcome.Message);
    }

    [Fact]
    public void Exit_124_within_the_timestamps_one_second_resolution_of_the_timeout_is_TimedOut()
    {
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(124, "Error", Started.AddSeconds(59))), Now, StartDeadline);

        Assert.Equal(ExecutionPhase.TimedOut, outcome.Phase);
    }

    [Fact]
    public void Exit_124_of_a_program_that_did_not_run_for_its_timeout_is_its_own_Error_not_a_timeout()
    {
        // The code can exit 124 itself, but not make the kubelet's timestamps span its timeout.
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(124, "Error", Started.AddSeconds(10))), Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 124), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Contains("did not run for its whole timeout", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_killed_by_SIGKILL_is_an_Error_137_not_a_success()
    {
        var outcome = PodOutcome.Observe(Pod("Failed", Terminated(137, "Error")), Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Error, 137), (outcome.Phase, outcome.Reason, outcome.ExitCode));
        Assert.Contains("SIGKILL", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Eviction_is_Failed_Evicted()
    {
        var pod = Pod("Failed", reason: "Evicted");
        pod.Status.Message = "The node was low on resource: memory.";

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Evicted), (outcome.Phase, outcome.Reason));
        Assert.EndsWith("The node was low on resource: memory.", outcome.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ErrImagePull")]
    [InlineData("ImagePullBackOff")]
    [InlineData("InvalidImageName")]
    public void Image_pull_failure_is_Failed_ImagePullFailed(string waitingReason)
    {
        var pod = Pod(code: new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = waitingReason, Message = "not found" } });

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.ImagePullFailed), (outcome.Phase, outcome.Reason));
        Assert.Equal($"the image python@sha256:abc of container code could not be pulled: {waitingReason}: not found", outcome.Message);
    }

    [Fact]
    public void Collector_image_pull_failure_is_also_ImagePullFailed()
    {
        var pod = Pod();
        pod.Status.InitContainerStatuses = [new V1ContainerStatus { Name = "collector", Image = "op:1", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff" } } }];

        Assert.Equal(ExecutionReason.ImagePullFailed, PodOutcome.Observe(pod, Now, StartDeadline).Reason);
    }

    [Fact]
    public void Unschedulable_is_Failed_with_the_scheduler_message()
    {
        var pod = Pod();
        pod.Status.Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/3 nodes are available" }];

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.Unschedulable), (outcome.Phase, outcome.Reason));
        Assert.Equal("no node can run the sandbox Pod: 0/3 nodes are available", outcome.Message);
    }

    [Fact]
    public void A_gone_pod_is_PodDeleted()
    {
        var outcome = PodOutcome.Observe(null, Now, StartDeadline);

        Assert.Equal((PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.PodDeleted), (outcome.Progress, outcome.Phase, outcome.Reason));
    }

    [Fact]
    public void A_pod_being_deleted_before_the_code_finished_is_PodDeleted()
    {
        var pod = Pod("Running", Terminated(137, "Error"));
        pod.Metadata.DeletionGracePeriodSeconds = 30;
        pod.Metadata.DeletionTimestamp = Started.AddSeconds(30); // asked at Started, before Finished

        Assert.Equal(ExecutionReason.PodDeleted, PodOutcome.Observe(pod, Now, StartDeadline).Reason);
    }

    [Fact]
    public void A_pod_deleted_after_the_code_finished_keeps_the_result()
    {
        var pod = Pod("Failed", Terminated(4, "Error"));
        pod.Metadata.DeletionGracePeriodSeconds = 5;
        pod.Metadata.DeletionTimestamp = Finished.AddSeconds(10);

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((ExecutionReason.Error, 4), (outcome.Reason, outcome.ExitCode));
    }

    [Fact]
    public void Running_code_is_Running_with_its_start()
    {
        var outcome = PodOutcome.Observe(Pod("Running", new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Started } }), Now, StartDeadline);

        Assert.Equal((PodProgress.Running, ExecutionPhase.Running, Started), (outcome.Progress, outcome.Phase, outcome.StartedAt));
        Assert.False(outcome.IsFinished);
    }

    [Fact]
    public void Pending_within_the_start_deadline_is_not_started()
    {
        var pod = Pod(code: new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } });

        var outcome = PodOutcome.Observe(pod, Now, StartDeadline);

        Assert.Equal((PodProgress.NotStarted, ExecutionPhase.Pending, "ContainerCreating"), (outcome.Progress, outcome.Phase, outcome.Reason));
    }

    [Fact]
    public void Pending_past_the_start_deadline_is_StartTimeout()
    {
        var pod = Pod(code: new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } });

        var outcome = PodOutcome.Observe(pod, new DateTimeOffset(Created) + StartDeadline + TimeSpan.FromSeconds(1), StartDeadline);

        Assert.Equal((ExecutionPhase.Failed, ExecutionReason.StartTimeout), (outcome.Phase, outcome.Reason));
        Assert.Equal("the sandbox Pod did not start within 5m0s: last seen ContainerCreating", outcome.Message);
    }

    [Fact]
    public void A_finished_pod_without_a_code_status_is_a_failure_not_a_success()
    {
        var outcome = PodOutcome.Observe(Pod("Succeeded"), Now, StartDeadline);

        Assert.Equal((PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.Error), (outcome.Progress, outcome.Phase, outcome.Reason));
    }

    [Fact]
    public void Output_is_ready_only_once_the_pod_is_over()
    {
        // The code was killed for its deadline, the collector has printed, but the kubelet has not yet given the Pod
        // its final phase and reason: reading now would report exit 143 instead of DeadlineExceeded.
        var pod = Pod("Running", Terminated(143));
        pod.Status.InitContainerStatuses = [new V1ContainerStatus { Name = "collector", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0 } } }];
        Assert.False(PodOutcome.IsOutputReady(pod));

        Assert.True(PodOutcome.IsOutputReady(Pod("Succeeded")));
        Assert.True(PodOutcome.IsOutputReady(Pod("Failed")));
    }
}
