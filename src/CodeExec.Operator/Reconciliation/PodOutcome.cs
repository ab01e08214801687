using System.Globalization;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>How far a sandbox Pod has come.</summary>
internal enum PodProgress
{
    /// <summary>Created, the code has not started (scheduling, pulling, starting the collector).</summary>
    NotStarted,
    /// <summary>The code is running.</summary>
    Running,
    /// <summary>Over: <see cref="PodObservation.Phase"/> and <see cref="PodObservation.Reason"/> are the final result.</summary>
    Finished,
}

/// <summary>What the Pod's status says about the execution.</summary>
/// <param name="Progress">Not started, running or finished.</param>
/// <param name="Phase">The final execution phase (Succeeded, Failed, TimedOut) when finished; otherwise Pending or Running.</param>
/// <param name="Reason">An <see cref="ExecutionReason"/> when finished; otherwise the kubelet's waiting reason, if any.</param>
/// <param name="Message">A sentence for people.</param>
/// <param name="ExitCode">The code container's exit code, when the kubelet reported one.</param>
/// <param name="StartedAt">When the code container started.</param>
/// <param name="FinishedAt">When the code container ended.</param>
internal sealed record PodObservation(
    PodProgress Progress,
    string Phase,
    string? Reason,
    string Message,
    int? ExitCode,
    DateTime? StartedAt,
    DateTime? FinishedAt)
{
    /// <summary>True when the observation is a final result.</summary>
    public bool IsFinished => Progress == PodProgress.Finished;
}

/// <summary>
/// Reads the result of an execution from its sandbox Pod's status: the kubelet's word, which the code cannot forge.
/// Never looks at output.
/// </summary>
internal static class PodOutcome
{
    private static readonly HashSet<string> ImagePullReasons = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
    };

    /// <summary>
    /// Observes <paramref name="pod"/>. Null means the Pod the operator created is gone (deleted by someone else).
    /// A Pod whose code has not started <paramref name="startDeadline"/> after its creation has failed with StartTimeout.
    /// </summary>
    public static PodObservation Observe(V1Pod? pod, DateTimeOffset now, TimeSpan startDeadline)
    {
        if (pod is null)
        {
            return Failed(ExecutionReason.PodDeleted, "the sandbox Pod was deleted before the code finished", null, null, null);
        }

        var status = pod.Status;
        var code = status?.ContainerStatuses?.FirstOrDefault(c => c.Name == SandboxRenderer.CodeContainerName);
        var terminated = code?.State?.Terminated ?? code?.LastState?.Terminated;
        var startedAt = terminated?.StartedAt ?? code?.State?.Running?.StartedAt;

        if (pod.Metadata?.DeletionTimestamp is { } deletion)
        {
            var requestedAt = deletion.AddSeconds(-(pod.Metadata.DeletionGracePeriodSeconds ?? 0));
            if (terminated?.FinishedAt is not { } finished || finished > requestedAt)
            {
                return Failed(ExecutionReason.PodDeleted, "the sandbox Pod was deleted before the code finished", terminated?.ExitCode, startedAt, terminated?.FinishedAt);
            }
        }

        if (status?.Reason == "DeadlineExceeded")
        {
            // The backstop: activeDeadlineSeconds (timeout + start deadline + grace) counted by the kubelet from when it
            // accepted the Pod. codeexec-init stops the code at its timeout long before, unless the code never let it.
            var backstop = pod.Spec?.ActiveDeadlineSeconds is { } seconds ? seconds.ToString(CultureInfo.InvariantCulture) + "s" : "its deadline";
            return new PodObservation(PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded,
                $"the sandbox Pod ran past its backstop deadline of {backstop} (timeout, start deadline and grace period) and was stopped",
                terminated?.ExitCode, startedAt ?? status.StartTime, terminated?.FinishedAt);
        }

        if (status?.Reason == "Evicted")
        {
            return Failed(ExecutionReason.Evicted, "the node evicted the sandbox Pod" + Detail(status.Message), terminated?.ExitCode, startedAt, terminated?.FinishedAt);
        }

        if (terminated is not null)
        {
            return FromTermination(terminated, pod);
        }

        if (status?.Phase is "Succeeded" or "Failed")
        {
            return Failed(ExecutionReason.Error, $"the sandbox Pod {status.Phase} without a result from the code" + Detail(status.Reason) + Detail(status.Message), null, startedAt, null);
        }

        var waiting = (status?.InitContainerStatuses ?? []).Concat(status?.ContainerStatuses ?? [])
            .Select(c => (c.Name, c.Image, Waiting: c.State?.Waiting))
            .FirstOrDefault(c => c.Waiting?.Reason is { } reason && ImagePullReasons.Contains(reason));
        if (waiting.Waiting is { } pull)
        {
            return Failed(ExecutionReason.ImagePullFailed, $"the image {waiting.Image} of container {waiting.Name} could not be pulled: {pull.Reason}" + Detail(pull.Message), null, null, null);
        }

        var scheduled = status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (scheduled is { Status: "False", Reason: "Unschedulable" })
        {
            return Failed(ExecutionReason.Unschedulable, "no node can run the sandbox Pod" + Detail(scheduled.Message), null, null, null);
        }

        if (code?.State?.Running is { } running)
        {
            return new PodObservation(PodProgress.Running, ExecutionPhase.Running, null, "the code is running", null, running.StartedAt ?? status?.StartTime, null);
        }

        var waitingReason = code?.State?.Waiting?.Reason ?? (scheduled is null ? "Scheduling" : status?.Phase);
        var created = pod.Metadata?.CreationTimestamp;
        if (created is { } createdAt && now - new DateTimeOffset(DateTime.SpecifyKind(createdAt, DateTimeKind.Utc)) > startDeadline)
        {
            return Failed(ExecutionReason.StartTimeout,
                $"the sandbox Pod did not start within {FinalStatusBuilder.FormatDuration((long)startDeadline.TotalMilliseconds)}" + Detail(waitingReason is null ? null : "last seen " + waitingReason),
                null, null, null);
        }

        return new PodObservation(PodProgress.NotStarted, ExecutionPhase.Pending, waitingReason, "waiting for the sandbox Pod to start" + Detail(waitingReason), null, null, null);
    }

    private static PodObservation FromTermination(V1ContainerStateTerminated terminated, V1Pod pod)
    {
        var exitCode = terminated.ExitCode;
        if (terminated.Reason == "OOMKilled")
        {
            var memory = pod.Spec?.Containers?.FirstOrDefault(c => c.Name == SandboxRenderer.CodeContainerName)?.Resources?.Limits?.TryGetValue("memory", out var limit) == true
                ? " of " + limit
                : "";
            return Failed(ExecutionReason.OOMKilled, $"the code used more than its memory limit{memory} and was killed", exitCode, terminated.StartedAt, terminated.FinishedAt);
        }

        if (exitCode == 0)
        {
            return new PodObservation(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed, "the code exited with code 0", 0, terminated.StartedAt, terminated.FinishedAt);
        }

        var timeout = TimeoutSeconds(pod);
        if (exitCode == SandboxRenderer.TimeoutExitCode && timeout is { } seconds && RanForAtLeast(terminated, seconds - TimestampResolutionSeconds))
        {
            return new PodObservation(PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded,
                $"the code did not finish within its timeout of {seconds}s (counted from its start) and was stopped", exitCode, terminated.StartedAt, terminated.FinishedAt);
        }

        return Failed(ExecutionReason.Error, "the code exited with code " + exitCode.ToString(CultureInfo.InvariantCulture) + SignalHint(exitCode), exitCode, terminated.StartedAt, terminated.FinishedAt);
    }

    /// <summary>The kubelet's container timestamps have whole-second resolution (metav1.Time).</summary>
    private const long TimestampResolutionSeconds = 1;

    /// <summary>
    /// True when the kubelet's own timestamps of the code container span at least <paramref name="seconds"/>. With exit
    /// code 124 this decides TimedOut: the code can exit 124 itself, but it cannot make the kubelet's startedAt and
    /// finishedAt lie, so a 124 counts as a timeout only when the container really ran (within the timestamps'
    /// one-second resolution) for its whole timeout; and the code cannot escape a timeout either, since codeexec-init
    /// (PID 1, not traceable by the code) exits 124 whatever the code's own status was.
    /// </summary>
    private static bool RanForAtLeast(V1ContainerStateTerminated terminated, long seconds) =>
        terminated.StartedAt is { } started && terminated.FinishedAt is { } finished && (finished - started).TotalSeconds >= seconds;

    /// <summary>The <c>--timeout</c> codeexec-init was given in the code container's command (what the renderer put there).</summary>
    internal static long? TimeoutSeconds(V1Pod pod)
    {
        var command = pod.Spec?.Containers?.FirstOrDefault(c => c.Name == SandboxRenderer.CodeContainerName)?.Command;
        if (command is null)
        {
            return null;
        }

        var end = command.IndexOf("--");
        var index = command.IndexOf("--timeout");
        return index >= 0 && (end < 0 || index < end) && index + 1 < command.Count
            && long.TryParse(command[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;
    }

    /// <summary>
    /// True once the Pod is over (phase Succeeded or Failed): only then has the kubelet stopped the collector (it prints
    /// its record on SIGTERM, sent after the code exited) and given the Pod its final reason (DeadlineExceeded comes with
    /// the final phase, possibly after the killed code container already shows its 137 or 143). Read the collector's
    /// log (<c>container=collector</c>, <c>limitBytes</c> = <see cref="SandboxRun.LogLimitBytes"/>) only then.
    /// </summary>
    public static bool IsOutputReady(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Status?.Phase is "Succeeded" or "Failed";
    }

    /// <summary>For exit codes above 128 (killed by a signal), the signal's name and what usually sends it.</summary>
    internal static string SignalHint(int exitCode) => (exitCode - 128) switch
    {
        6 => " (SIGABRT: the program aborted)",
        9 => " (SIGKILL: killed)",
        11 => " (SIGSEGV: invalid memory access)",
        15 => " (SIGTERM: stopped)",
        24 => " (SIGXCPU: CPU time limit)",
        25 => " (SIGXFSZ: it wrote more than the output buffer or file size limit)",
        _ => exitCode switch
        {
            SandboxRenderer.WrapperFailureExitCode => " (also codeexec-init's code when it cannot set up the limits or streams; its message is in stderr)",
            SandboxRenderer.TimeoutExitCode => " (also codeexec-init's code for a timeout, but the code did not run for its whole timeout)",
            126 => " (the program could not be executed)",
            127 => " (the program was not found)",
            _ => "",
        },
    };

    private static PodObservation Failed(string reason, string message, int? exitCode, DateTime? startedAt, DateTime? finishedAt) =>
        new(PodProgress.Finished, ExecutionPhase.Failed, reason, message, exitCode, startedAt, finishedAt);

    private static string Detail(string? detail) => string.IsNullOrWhiteSpace(detail) ? "" : ": " + detail;
}
