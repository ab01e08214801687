using System.Globalization;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Sandbox;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>What ran: recorded in status next to the result, and the output bound needed to read the collector's log.</summary>
/// <param name="RuntimeName">The CodeRuntime.</param>
/// <param name="Image">The image of the code container.</param>
/// <param name="PodName">The sandbox Pod.</param>
/// <param name="CodeSha256">Hex SHA-256 of the code.</param>
/// <param name="OutputBytes">The admitted limits.outputBytes (the collector's --limit-bytes).</param>
internal sealed record SandboxRun(string RuntimeName, string Image, string PodName, string CodeSha256, int OutputBytes)
{
    /// <summary>
    /// The size of the Pod's output volume (stdout and stderr together), when known: output that reaches it means the
    /// code's further writes failed (<see cref="ExecutionReason.OutputLimitExceeded"/>).
    /// </summary>
    public long? OutputBufferBytes { get; init; }

    /// <summary>What a rendered request will run.</summary>
    public static SandboxRun From(SandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new SandboxRun(
            request.Runtime.Metadata.Name ?? "",
            request.Runtime.Spec.Image,
            SandboxNames.Pod(request.Execution),
            request.Code.Sha256,
            request.Limits.OutputBytes);
    }

    /// <summary>
    /// What ran, as the operator recorded it in status when it created the Pod. Never read from a Pod: the output bound
    /// is status.outputBytes (else spec.limits.outputBytes, else the default), and at most <paramref name="options"/>'
    /// MaxOutputBytes, so no object anyone else can write decides how much of a log the operator reads. The output buffer
    /// is the configured Sandbox:OutputBufferSize, the size the renderer gives the output volume.
    /// </summary>
    public static SandboxRun FromStatus(CodeExecution execution, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(options);
        var status = execution.Status;
        var outputBytes = status?.OutputBytes ?? execution.Spec.Limits?.OutputBytes ?? options.DefaultOutputBytes;
        return new SandboxRun(
            status?.Runtime ?? "",
            status?.Image ?? "",
            status?.PodName ?? SandboxNames.Pod(execution),
            status?.CodeSha256 ?? "",
            Math.Clamp(outputBytes, 1, Math.Max(1, options.MaxOutputBytes)))
        {
            OutputBufferBytes = Quantities.ToInt64Ceiling(new ResourceQuantity(options.OutputBufferSize)),
        };
    }

    /// <summary>The <c>limitBytes</c> of the request for the collector's log.</summary>
    public long LogLimitBytes => OutputRecord.MaxRecordBytes(OutputBytes);
}

/// <summary>The condition types of a CodeExecution.</summary>
internal static class ConditionTypes
{
    public const string Admitted = "Admitted";
    public const string PodCreated = "PodCreated";
    public const string Started = "Started";
    public const string Finished = "Finished";
}

/// <summary>
/// Builds the CodeExecution status of a final result in one piece (the reconciler writes it in one status update),
/// and the status of a rejection. Pure: the only clock is the <see cref="TimeProvider"/>.
/// </summary>
internal static class FinalStatusBuilder
{
    /// <summary>
    /// The final status of an execution whose Pod <paramref name="outcome"/> is finished. <paramref name="output"/> is
    /// the decoded collector record, or null when it was not collected: <paramref name="outputError"/> then says why
    /// (the decoder's error), or is null when there was nothing to collect (the code never started).
    /// Conditions and startTime already in status are kept (a condition's lastTransitionTime moves only when its status does).
    /// </summary>
    public static CodeExecutionStatus Final(
        CodeExecution execution,
        PodObservation outcome,
        CollectedOutput? output,
        string? outputError,
        SandboxRun run,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(time);
        if (!outcome.IsFinished)
        {
            throw new ArgumentException("the outcome is not final", nameof(outcome));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var previous = execution.Status;
        var start = outcome.StartedAt ?? previous?.StartTime;
        var completion = outcome.FinishedAt ?? now;
        long? durationMs = start is { } s ? Math.Max(0, (long)(completion - s).TotalMilliseconds) : null;

        outcome = WithOutputLimit(outcome, output, run);
        var message = outcome.Message;
        if (output is null)
        {
            message += outputError is null ? "" : "; output not collected: " + outputError;
        }
        else
        {
            message += Describe(output.Stdout, "stdout") + Describe(output.Stderr, "stderr");
        }

        var conditions = CopyConditions(previous);
        var generation = execution.Metadata.Generation;
        SetCondition(conditions, ConditionTypes.Admitted, true, "Admitted", "admitted with the runtime " + run.RuntimeName, generation, now);
        SetCondition(conditions, ConditionTypes.PodCreated, true, "PodCreated", "created the sandbox Pod " + run.PodName, generation, now);
        SetCondition(conditions, ConditionTypes.Started, start is not null, start is not null ? "Started" : outcome.Reason!,
            start is not null ? "the code started" : "the code never started", generation, now);
        SetCondition(conditions, ConditionTypes.Finished, true, outcome.Reason!, message, generation, now);

        return new CodeExecutionStatus
        {
            Phase = outcome.Phase,
            Conditions = conditions,
            ExitCode = outcome.ExitCode,
            Reason = outcome.Reason,
            Message = message,
            Stdout = output?.Stdout.Text,
            Stderr = output?.Stderr.Text,
            StdoutEncoding = output?.Stdout.Encoding,
            StderrEncoding = output?.Stderr.Encoding,
            StdoutTruncated = output?.Stdout.Truncated,
            StderrTruncated = output?.Stderr.Truncated,
            StdoutBytes = output?.Stdout.TotalBytes,
            StderrBytes = output?.Stderr.TotalBytes,
            StartTime = start,
            CompletionTime = completion,
            DurationMs = durationMs,
            Duration = durationMs is { } ms ? FormatDuration(ms) : null,
            Runtime = run.RuntimeName,
            PodName = run.PodName,
            PodUid = previous?.PodUid,
            NetworkPolicyUid = previous?.NetworkPolicyUid,
            CodeObjectUid = previous?.CodeObjectUid,
            OutputBytes = run.OutputBytes,
            Image = run.Image,
            CodeSha256 = run.CodeSha256,
            ObservedGeneration = generation,
        };
    }

    /// <summary>
    /// The final status of an execution whose Pod <paramref name="outcome"/> is finished, from the collector's parsed
    /// record (<paramref name="record"/>; null when not collected, <paramref name="outputError"/> then says why), sized to
    /// be written: each stream keeps at most <see cref="SandboxRun.OutputBytes"/> bytes, and fewer when the whole object
    /// would pass <see cref="StatusSize.MaxStoredObjectBytes"/> stored or <see cref="StatusSize.MaxSentBodyBytes"/> sent
    /// (the room is shared between the streams, each getting at least half of it when it needs that much). Byte counts
    /// stay exact and a stream cut to fit is marked truncated.
    /// </summary>
    public static CodeExecutionStatus FinalWithinSize(
        CodeExecution execution,
        PodObservation outcome,
        (CapturedStream Stdout, CapturedStream Stderr)? record,
        string? outputError,
        SandboxRun run,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(run);
        if (record is not { } streams)
        {
            return Final(execution, outcome, null, outputError, run, time);
        }

        var output = new CollectedOutput(
            OutputDecoder.ToStatus(streams.Stdout, run.OutputBytes, "stdout"),
            OutputDecoder.ToStatus(streams.Stderr, run.OutputBytes, "stderr"));
        var status = Final(execution, outcome, output, null, run, time);
        if (StatusSize.Fits(execution, status))
        {
            return status;
        }

        // Everything but the two texts, with the longest descriptions the cut can give, and what is left for the texts.
        var bare = Final(execution, outcome, new CollectedOutput(
            output.Stdout with { Text = "", Truncated = true, CutToFit = true },
            output.Stderr with { Text = "", Truncated = true, CutToFit = true }), null, run, time);
        var stored = StatusSize.MaxStoredObjectBytes - StatusSize.SlackBytes - StatusSize.StoredBytes(execution, bare);
        var sent = StatusSize.MaxSentBodyBytes - StatusSize.SlackBytes - StatusSize.SentBytes(execution, bare);
        var half = new OutputRoom(Math.Max(0, stored / 2), Math.Max(0, sent / 2));
        var stdout = OutputDecoder.ToStatus(streams.Stdout, run.OutputBytes, "stdout", half);
        var stderr = OutputDecoder.ToStatus(streams.Stderr, run.OutputBytes, "stderr", new OutputRoom(
            Math.Max(0, stored - StoredTextBytes(stdout)), Math.Max(0, sent - SentTextBytes(stdout))));
        stdout = OutputDecoder.ToStatus(streams.Stdout, run.OutputBytes, "stdout", new OutputRoom(
            Math.Max(0, stored - StoredTextBytes(stderr)), Math.Max(0, sent - SentTextBytes(stderr))));
        return Final(execution, outcome, new CollectedOutput(stdout, stderr), null, run, time);
    }

    private static long StoredTextBytes(StreamOutput stream) => 2 + JsonSize.GoEscapedLength(stream.Text);

    private static long SentTextBytes(StreamOutput stream) => 2 + JsonSize.SentEscapedLength(stream.Text);

    /// <summary>
    /// The final status written when the API server refused <paramref name="refused"/> for its size (see
    /// <see cref="StatusSize.IsRefusedForSize"/>): the same phase, reason, exit code, times and byte counts, without
    /// stdout and stderr, and a message that says the output could not be stored and why (<paramref name="why"/>, the
    /// server's answer), so the execution still finishes and is cleaned up.
    /// </summary>
    public static CodeExecutionStatus WithoutOutput(CodeExecutionStatus refused, string why, long? generation, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(refused);
        ArgumentNullException.ThrowIfNull(time);
        const int maxWhy = 1024;
        var message = (refused.Message ?? "") + "; the output could not be stored in status: the API server refused it ("
            + (why.Length > maxWhy ? why[..maxWhy] + "..." : why) + ")";
        var conditions = CopyConditions(refused);
        SetCondition(conditions, ConditionTypes.Finished, true, refused.Reason ?? ExecutionReason.Error, message, generation, time.GetUtcNow().UtcDateTime);
        return new CodeExecutionStatus
        {
            Phase = refused.Phase,
            Conditions = conditions,
            ExitCode = refused.ExitCode,
            Reason = refused.Reason,
            Message = message,
            StdoutBytes = refused.StdoutBytes,
            StderrBytes = refused.StderrBytes,
            StartTime = refused.StartTime,
            CompletionTime = refused.CompletionTime,
            DurationMs = refused.DurationMs,
            Duration = refused.Duration,
            Runtime = refused.Runtime,
            PodName = refused.PodName,
            PodUid = refused.PodUid,
            NetworkPolicyUid = refused.NetworkPolicyUid,
            CodeObjectUid = refused.CodeObjectUid,
            OutputBytes = refused.OutputBytes,
            Image = refused.Image,
            CodeSha256 = refused.CodeSha256,
            ObservedGeneration = refused.ObservedGeneration,
        };
    }

    /// <summary>
    /// The final status of an execution that ended before its Pod existed: a child create refused by the API server, or
    /// a child name taken by an object that is not this execution's. Phase Failed; PodCreated False with the reason.
    /// </summary>
    public static CodeExecutionStatus NotStarted(CodeExecution execution, string reason, string message, SandboxRun? run, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow().UtcDateTime;
        var generation = execution.Metadata.Generation;
        var previous = execution.Status;
        var conditions = CopyConditions(previous);
        SetCondition(conditions, ConditionTypes.Admitted, true, "Admitted", "admitted" + (run is null ? "" : " with the runtime " + run.RuntimeName), generation, now);
        SetCondition(conditions, ConditionTypes.PodCreated, false, reason, message, generation, now);
        SetCondition(conditions, ConditionTypes.Finished, true, reason, message, generation, now);
        return new CodeExecutionStatus
        {
            Phase = ExecutionPhase.Failed,
            Conditions = conditions,
            Reason = reason,
            Message = message,
            CompletionTime = now,
            Runtime = run?.RuntimeName ?? previous?.Runtime,
            Image = run?.Image ?? previous?.Image,
            CodeSha256 = run?.CodeSha256 ?? previous?.CodeSha256,
            OutputBytes = run?.OutputBytes ?? previous?.OutputBytes,
            ObservedGeneration = generation,
        };
    }

    /// <summary>
    /// The status written right after the children were created (phase Pending, condition PodCreated): what runs, and
    /// the UIDs of the NetworkPolicy, the code object and the Pod, the only objects the operator trusts and deletes later.
    /// </summary>
    public static CodeExecutionStatus PodCreated(CodeExecution execution, SandboxRun run, string? networkPolicyUid, string? codeObjectUid,
        string? podUid, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(run);
        var status = InProgress(execution, ExecutionPhase.Pending, null, "created the sandbox Pod " + run.PodName, run, null, time);
        status.NetworkPolicyUid = networkPolicyUid;
        status.CodeObjectUid = codeObjectUid;
        status.PodUid = podUid;
        return status;
    }

    /// <summary>
    /// Room the output volume may lack when it is full: tmpfs counts whole pages, and each stream's last page is
    /// partly used.
    /// </summary>
    internal const long OutputBufferSlackBytes = 64 * 1024;

    /// <summary>
    /// An ended program whose stdout and stderr together (file sizes the collector measured) reach the output buffer
    /// ran out of room: its further writes failed (ENOSPC on the volume, or EFBIG/SIGXFSZ at the file size limit), so it
    /// ends Failed with <see cref="ExecutionReason.OutputLimitExceeded"/> whatever its own exit code was. A timeout, an
    /// OOM kill or a deleted Pod says more and is kept.
    /// </summary>
    internal static PodObservation WithOutputLimit(PodObservation outcome, CollectedOutput? output, SandboxRun run)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(run);
        if (output is null || run.OutputBufferBytes is not { } buffer || outcome.Reason is not (ExecutionReason.Completed or ExecutionReason.Error)
            || output.Stdout.TotalBytes + output.Stderr.TotalBytes < buffer - OutputBufferSlackBytes)
        {
            return outcome;
        }

        var exit = outcome.ExitCode is { } code ? "; it exited with code " + code.ToString(CultureInfo.InvariantCulture) + PodOutcome.SignalHint(code) : "";
        return outcome with
        {
            Phase = ExecutionPhase.Failed,
            Reason = ExecutionReason.OutputLimitExceeded,
            Message = string.Create(CultureInfo.InvariantCulture,
                $"the code wrote more output than the output buffer holds ({Quantities.FormatBytes(buffer)} for stdout and stderr together, Sandbox:OutputBufferSize) and its further writes failed{exit}"),
        };
    }


    /// <summary>
    /// A status on the way (phase Pending, Queued or Running): phase, reason, message, what runs (when the Pod exists)
    /// and the start time once the code started. Conditions: Admitted, then PodCreated, then Started.
    /// </summary>
    public static CodeExecutionStatus InProgress(CodeExecution execution, string phase, string? reason, string message, SandboxRun? run, PodObservation? observation, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(time);
        if (ExecutionPhase.IsFinal(phase))
        {
            throw new ArgumentException($"{phase} is a final phase: use Final or Rejected", nameof(phase));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var generation = execution.Metadata.Generation;
        var previous = execution.Status;
        var conditions = CopyConditions(previous);
        var start = observation?.StartedAt ?? previous?.StartTime;
        if (phase != ExecutionPhase.Pending)
        {
            SetCondition(conditions, ConditionTypes.Admitted, true, "Admitted", "admitted" + (run is null ? "" : " with the runtime " + run.RuntimeName), generation, now);
        }

        if (run is not null)
        {
            SetCondition(conditions, ConditionTypes.PodCreated, true, "PodCreated", "created the sandbox Pod " + run.PodName, generation, now);
        }

        if (start is not null)
        {
            SetCondition(conditions, ConditionTypes.Started, true, "Started", "the code started", generation, now);
        }

        return new CodeExecutionStatus
        {
            Phase = phase,
            Conditions = conditions,
            Reason = reason,
            Message = message,
            StartTime = start,
            Runtime = run?.RuntimeName ?? previous?.Runtime,
            PodName = run?.PodName ?? previous?.PodName,
            PodUid = previous?.PodUid,
            NetworkPolicyUid = previous?.NetworkPolicyUid,
            CodeObjectUid = previous?.CodeObjectUid,
            OutputBytes = run?.OutputBytes ?? previous?.OutputBytes,
            Image = run?.Image ?? previous?.Image,
            CodeSha256 = run?.CodeSha256 ?? previous?.CodeSha256,
            ObservedGeneration = generation,
        };
    }

    /// <summary>The final status of an execution refused at admission: phase Rejected, every reason in the message.</summary>
    public static CodeExecutionStatus Rejected(CodeExecution execution, AdmissionResult admission, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(time);
        if (admission.IsAdmitted)
        {
            throw new ArgumentException("the execution was admitted", nameof(admission));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var generation = execution.Metadata.Generation;
        var conditions = CopyConditions(execution.Status);
        SetCondition(conditions, ConditionTypes.Admitted, false, ExecutionReason.Rejected, admission.Message!, generation, now);
        SetCondition(conditions, ConditionTypes.Finished, true, ExecutionReason.Rejected, admission.Message!, generation, now);
        return new CodeExecutionStatus
        {
            Phase = ExecutionPhase.Rejected,
            Conditions = conditions,
            Reason = ExecutionReason.Rejected,
            Message = admission.Message,
            CompletionTime = now,
            Runtime = admission.RuntimeName,
            ObservedGeneration = generation,
        };
    }

    /// <summary>
    /// Sets condition <paramref name="type"/> in <paramref name="conditions"/>; its lastTransitionTime changes only when
    /// its status changes. Times are whole seconds, as metav1.Time keeps them.
    /// </summary>
    public static void SetCondition(IList<V1Condition> conditions, string type, bool status, string reason, string message, long? generation, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var statusText = status ? "True" : "False";
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        var transition = existing is not null && existing.Status == statusText
            ? existing.LastTransitionTime
            : new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var condition = new V1Condition
        {
            Type = type,
            Status = statusText,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = transition,
        };
        if (existing is null)
        {
            conditions.Add(condition);
        }
        else
        {
            conditions[conditions.IndexOf(existing)] = condition;
        }
    }

    /// <summary>Milliseconds for people: <c>0.25s</c>, <c>1.25s</c>, <c>59s</c>, <c>2m3s</c>, <c>1h0m5s</c>.</summary>
    public static string FormatDuration(long milliseconds)
    {
        var ms = Math.Max(0, milliseconds);
        if (ms < 60_000)
        {
            return (Math.Floor(ms / 10m) / 100m).ToString("0.##", CultureInfo.InvariantCulture) + "s";
        }

        var total = TimeSpan.FromMilliseconds(ms);
        return total.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)total.TotalHours}h{total.Minutes}m{total.Seconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{total.Minutes}m{total.Seconds}s");
    }

    private static List<V1Condition> CopyConditions(CodeExecutionStatus? status) =>
        (status?.Conditions ?? []).Select(c => new V1Condition
        {
            Type = c.Type,
            Status = c.Status,
            Reason = c.Reason,
            Message = c.Message,
            ObservedGeneration = c.ObservedGeneration,
            LastTransitionTime = c.LastTransitionTime,
        }).ToList();

    private static string Describe(StreamOutput stream, string name)
    {
        var text = stream.Truncated
            ? string.Create(CultureInfo.InvariantCulture, $"; {name} truncated: {stream.TotalBytes} bytes written, head and tail kept")
            : "";
        if (stream.CutToFit)
        {
            text += $"; {name} cut further to keep the CodeExecution under its size limit";
        }

        if (stream.Encoding == OutputEncodings.Base64)
        {
            text += stream.Base64ForEscaping
                ? $"; {name} is base64-encoded because JSON escaping would have made it larger than base64"
                : $"; {name} is not valid UTF-8 and is base64-encoded";
        }

        return stream.Problem is null ? text : text + "; " + stream.Problem;
    }
}
