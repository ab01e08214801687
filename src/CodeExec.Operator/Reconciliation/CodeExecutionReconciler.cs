using System.Globalization;
using System.Net;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Output;
using CodeExec.Operator.Sandbox;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// Turns one CodeExecution into a sandbox Pod and its result into status. Level-triggered and idempotent: every step
/// reads what exists (the live CodeExecution, the cached children) and does only what is missing, with child names
/// unique per execution UID, so a repeat after a crash, a conflict or a lost leadership creates nothing twice and loses
/// no result:
/// <list type="number">
/// <item>admit (runtime, limits, egress, code source) or write phase Rejected and create nothing;</item>
/// <item>wait in phase Queued while the namespace has its maximum of active sandboxes;</item>
/// <item>ensure the NetworkPolicy, then the code ConfigMap/Secret, then the Pod (never a Pod without its policy): an
/// existing object of the name is used only when it is this execution's (<see cref="ChildOwnership"/>), else the
/// execution ends Failed NameConflict; an API server refusal (4xx) ends it Failed PodRejected, ChildRejected or
/// QuotaExceeded (either way, a Pod of this execution that an earlier attempt made without recording it is first
/// deleted with grace period 0); 5xx, 429 and timeouts fail the reconcile, which is retried with backoff. The UIDs of
/// the three children go into status, and only the Pod of that UID is ever read as the result;</item>
/// <item>while the Pod exists, the NetworkPolicy and code object of the recorded UIDs must stay (unchanged): one
/// deleted, replaced or changed ends the execution Failed IsolationLost and the Pod is deleted with grace period 0;</item>
/// <item>observe the Pod's status (the kubelet's word, not the code's): Pending, Running, then a final result;</item>
/// <item>collect the bounded output from the collector sidecar's log and write the whole result in one status write
/// (a 409 fails the reconcile, which re-reads and retries; the Pod stays until the result is stored);</item>
/// <item>delete the children of the UIDs in status (found in the caches, each with a UID precondition; the NetworkPolicy
/// only once the Pod is gone), and the CodeExecution itself once its TTL after completion has passed.</item>
/// </list>
/// </summary>
internal sealed class CodeExecutionReconciler(
    IKubernetes client,
    IObjectCache<CodeExecution> executions,
    IObjectCache<CodeRuntime> runtimes,
    IObjectCache<V1Pod> pods,
    IObjectCache<V1NetworkPolicy> policies,
    IObjectCache<V1ConfigMap> configMaps,
    IObjectCache<V1Secret> secrets,
    IEgressResolver egressResolver,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<ExecutionOptions> executionOptions,
    ExecutionEvents events,
    ExecutionMetrics metrics,
    TimeProvider time,
    ILogger<CodeExecutionReconciler> logger) : IReconciler<CodeExecution>
{
    private SandboxOptions Sandbox => sandboxOptions.Value;
    private ExecutionOptions Executions => executionOptions.Value;

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var cached = executions.Find(key);
        if (cached is null || cached.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        if (ExecutionPhase.IsFinal(cached.Status?.Phase))
        {
            // Clean-up works from the caches of the children: once they are gone, a resync or a restart costs no API call.
            return await CleanUpAndExpireAsync(cached, cancellationToken);
        }

        var execution = await ReadExecutionAsync(key, cancellationToken);
        if (execution is null || execution.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        if (ExecutionPhase.IsFinal(execution.Status?.Phase))
        {
            return await CleanUpAndExpireAsync(execution, cancellationToken);
        }

        if (execution.Status?.PodUid is not { } podUid)
        {
            // No Pod recorded yet: admit and ensure the children (a Pod made by an attempt that stopped before writing
            // status is found by the ensure step and used only if it is exactly what this execution renders).
            return await StartAsync(execution, cancellationToken);
        }

        // Only the Pod this operator created (its UID in status) is ever read. The cache may lag behind our own create:
        // ask the API server before calling the Pod gone.
        var podKey = new ObjectKey(key.Namespace, execution.Status.PodName ?? SandboxNames.Pod(execution));
        var pod = WithUid(pods.Find(podKey), podUid) ?? WithUid(await ReadPodAsync(podKey, cancellationToken), podUid);
        if (pod is null)
        {
            var gone = PodOutcome.Observe(null, time.GetUtcNow(), Sandbox.StartDeadline);
            return await FinishAsync(execution, null, gone, "the sandbox Pod is gone", cancellationToken);
        }

        if (await IsolationProblemAsync(execution, cancellationToken) is { } problem)
        {
            return await EndIsolationLostAsync(execution, pod, problem, cancellationToken);
        }

        return await ObserveAsync(execution, pod, cancellationToken);
    }

    private async Task<ReconcileResult> StartAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var runtime = FindRuntime(execution, out var runtimeProblem);
        var hosts = Admission.HostsToResolve(execution, runtime);
        var resolved = hosts.Count > 0 ? await egressResolver.ResolveAsync(hosts, cancellationToken) : null;
        var admission = runtimeProblem is not null
            ? AdmissionResult.Rejected([runtimeProblem], execution.Spec.Runtime)
            : Admission.Admit(execution, runtime, Sandbox, resolved);
        if (!admission.IsAdmitted)
        {
            return await RejectAsync(execution, admission, cancellationToken);
        }

        var (code, codeProblem) = ResolvedCode.FromInline(execution) is { } inline
            ? (inline, null)
            : await ReadCodeAsync(execution, cancellationToken);
        if (code is null)
        {
            return await RejectAsync(execution, AdmissionResult.Rejected([codeProblem!], admission.RuntimeName), cancellationToken);
        }

        if (await QueueIfNamespaceFullAsync(execution, cancellationToken) is { } queued)
        {
            return queued;
        }

        var request = new SandboxRequest(execution, runtime!, admission.Limits!, code, admission.Egress);
        var children = SandboxRenderer.Render(request, Sandbox);
        var run = SandboxRun.From(request);
        var ours = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var child in children.InCreationOrder)
        {
            // Sequential on purpose: the Pod is created only once its NetworkPolicy exists.
            var ensured = await EnsureChildAsync(child, execution, cancellationToken);
            if (ensured.Refusal is { } refusal)
            {
                return await EndBeforeStartAsync(execution, refusal.Reason, refusal.Message, run, ours, cancellationToken);
            }

            ours.Add(ensured.Child!);
            if (ensured.Created && child is V1Pod)
            {
                metrics.PodCreated(admission.RuntimeName);
            }
        }

        await WritePodCreatedAsync(execution, run, ours, cancellationToken);
        return ReconcileResult.After(Sandbox.StartDeadline + TimeSpan.FromSeconds(1));
    }

    private async Task<ReconcileResult> ObserveAsync(CodeExecution execution, V1Pod pod, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var observation = PodOutcome.Observe(pod, now, Sandbox.StartDeadline);
        if (observation.IsFinished)
        {
            if (!PodOutcome.IsOutputReady(pod) && pod.Metadata.DeletionTimestamp is null && !CollectorOverdue(pod, observation, now))
            {
                // The code has ended, but the Pod has not: the kubelet is still stopping the collector (which then prints
                // the record), or has killed the code for its deadline and not yet said so (status.reason
                // DeadlineExceeded comes with the Pod's final phase). Its next status change wakes us.
                return ReconcileResult.After(TimeSpan.FromSeconds(1));
            }

            return await FinishAsync(execution, pod, observation, null, cancellationToken);
        }

        if (observation.Progress == PodProgress.NotStarted)
        {
            var createdAt = pod.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : now;
            var left = createdAt + Sandbox.StartDeadline - now;
            return ReconcileResult.After(left > TimeSpan.Zero ? left + TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1));
        }

        var startedAt = observation.StartedAt is { } started ? new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc)) : now;
        var deadline = startedAt + TimeSpan.FromSeconds(pod.Spec.ActiveDeadlineSeconds ?? 0) + Executions.DeadlineGrace;
        if (pod.Spec.ActiveDeadlineSeconds is not null && now > deadline)
        {
            var overdue = new PodObservation(PodProgress.Finished, ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded,
                "the code ran past its timeout and the kubelet did not stop it; the operator ended it", null, observation.StartedAt, now.UtcDateTime);
            return await FinishAsync(execution, pod, overdue, null, cancellationToken);
        }

        if (execution.Status?.Phase != ExecutionPhase.Running)
        {
            var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Running, null, observation.Message, SandboxRun.FromStatus(execution, Sandbox), observation, time);
            var updated = await WriteStatusAsync(execution, status, cancellationToken);
            await events.RecordAsync(updated, ExecutionEventReasons.Started, "the code started in Pod " + pod.Metadata.Name, false, cancellationToken);
        }

        return ReconcileResult.After(deadline - now);
    }

    /// <summary>
    /// Writes the final result of <paramref name="outcome"/>, with the output read from <paramref name="pod"/> (our Pod,
    /// by UID); when <paramref name="pod"/> is null nothing is read and <paramref name="notCollected"/> says why.
    /// </summary>
    private async Task<ReconcileResult> FinishAsync(CodeExecution execution, V1Pod? pod, PodObservation outcome, string? notCollected,
        CancellationToken cancellationToken)
    {
        var run = SandboxRun.FromStatus(execution, Sandbox);
        CollectedOutput? output = null;
        var outputError = notCollected;
        if (pod is not null)
        {
            (output, outputError) = await CollectOutputAsync(pod, run, outcome, cancellationToken);
            if (outcome.Reason is ExecutionReason.Completed or ExecutionReason.Error)
            {
                outcome = InitReport.Apply(outcome, await ReadInitReportAsync(pod, outcome, cancellationToken));
            }
        }

        var status = FinalStatusBuilder.Final(execution, outcome, output, outputError, run, time);
        var updated = await WriteStatusAsync(execution, status, cancellationToken);

        metrics.ExecutionFinished(updated, pod);
        var (eventReason, warning) = status.Phase switch
        {
            ExecutionPhase.Succeeded => (ExecutionEventReasons.Succeeded, false),
            ExecutionPhase.TimedOut => (ExecutionEventReasons.TimedOut, true),
            _ => (ExecutionEventReasons.Failed, true),
        };
        await events.RecordAsync(updated, eventReason, status.Message ?? status.Reason ?? eventReason, warning, cancellationToken);
        if (status.StdoutTruncated == true || status.StderrTruncated == true)
        {
            await events.RecordAsync(updated, ExecutionEventReasons.OutputTruncated, string.Create(CultureInfo.InvariantCulture,
                $"output longer than limits.outputBytes was cut: stdout {status.StdoutBytes ?? 0} bytes, stderr {status.StderrBytes ?? 0} bytes written"),
                false, cancellationToken);
        }

        logger.LogInformation("{Namespace}/{Name} finished: {Phase} ({Reason}), exit code {ExitCode}",
            execution.Metadata.NamespaceProperty, execution.Metadata.Name, status.Phase, status.Reason, status.ExitCode);
        return await CleanUpAndExpireAsync(updated, cancellationToken);
    }

    private async Task<ReconcileResult> RejectAsync(CodeExecution execution, AdmissionResult admission, CancellationToken cancellationToken)
    {
        var status = FinalStatusBuilder.Rejected(execution, admission, time);
        var updated = await WriteStatusAsync(execution, status, cancellationToken);
        metrics.ExecutionFinished(updated, null);
        await events.RecordAsync(updated, ExecutionEventReasons.Rejected, admission.Message!, true, cancellationToken);
        return await ExpireAsync(updated, cancellationToken);
    }

    private async Task<ReconcileResult?> QueueIfNamespaceFullAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var max = Executions.MaxActivePerNamespace;
        if (max <= 0)
        {
            return null;
        }

        var namespaceName = execution.Metadata.NamespaceProperty;
        var active = pods.List(namespaceName).Count(p => p.Status?.Phase is not ("Succeeded" or "Failed") && p.Metadata.DeletionTimestamp is null
                                                      && !ChildOwnership.IsControlledBy(p.Metadata, execution.Metadata.Uid));
        if (active < max)
        {
            return null;
        }

        metrics.SetQueued(namespaceName, executions.List(namespaceName).Count(e => e.Status?.Phase == ExecutionPhase.Queued));
        if (execution.Status?.Phase != ExecutionPhase.Queued)
        {
            var message = string.Create(CultureInfo.InvariantCulture,
                $"waiting for a free sandbox: namespace {namespaceName} has {active} active of at most {max}");
            var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Queued, ExecutionReason.QuotaExceeded, message, null, null, time);
            var updated = await WriteStatusAsync(execution, status, cancellationToken);
            await events.RecordAsync(updated, ExecutionEventReasons.Queued, message, false, cancellationToken);
        }

        return ReconcileResult.After(Executions.QueuedRecheckInterval);
    }

    private async Task WritePodCreatedAsync(CodeExecution execution, SandboxRun run, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> children,
        CancellationToken cancellationToken)
    {
        var status = FinalStatusBuilder.PodCreated(execution, run,
            networkPolicyUid: children.OfType<V1NetworkPolicy>().Single().Metadata.Uid,
            codeObjectUid: children.Single(c => c is V1ConfigMap or V1Secret).Metadata.Uid,
            podUid: children.OfType<V1Pod>().Single().Metadata.Uid,
            time);
        var updated = await WriteStatusAsync(execution, status, cancellationToken);
        await events.RecordAsync(updated, ExecutionEventReasons.Created,
            $"created sandbox Pod {run.PodName} (runtime {run.RuntimeName}, image {run.Image})", false, cancellationToken);
    }

    /// <summary>
    /// Ends an execution whose Pod was not recorded in status: a child create the API server refused, or a child name
    /// taken by an object that is not this execution's. An earlier attempt may have created the Pod and failed to write
    /// status (a 409), and this attempt rendered something else (the codeFrom source or DNS changed): a Pod of the
    /// sandbox's name controlled by this execution is deleted first, by UID and with grace period 0, so it never runs
    /// without its NetworkPolicy. Then the children already ensured (<paramref name="ours"/>) are deleted, by UID.
    /// </summary>
    private async Task<ReconcileResult> EndBeforeStartAsync(CodeExecution execution, string reason, string message, SandboxRun run,
        IReadOnlyList<IKubernetesObject<V1ObjectMeta>> ours, CancellationToken cancellationToken)
    {
        if (await FindControlledPodAsync(execution, cancellationToken) is { } earlier)
        {
            await DeleteOwnedAsync(earlier, cancellationToken, gracePeriodSeconds: 0);
            message += $"; the sandbox Pod {earlier.Metadata.Name} an earlier attempt had created was deleted";
        }

        var status = FinalStatusBuilder.NotStarted(execution, reason, message, run, time);
        status.NetworkPolicyUid = ours.OfType<V1NetworkPolicy>().FirstOrDefault()?.Metadata.Uid;
        status.CodeObjectUid = ours.FirstOrDefault(c => c is V1ConfigMap or V1Secret)?.Metadata.Uid;
        var updated = await WriteStatusAsync(execution, status, cancellationToken);
        metrics.ExecutionFinished(updated, null);
        await events.RecordAsync(updated, reason, message, true, cancellationToken);
        logger.LogWarning("{Namespace}/{Name} failed before its Pod was created: {Reason}: {Message}",
            execution.Metadata.NamespaceProperty, execution.Metadata.Name, reason, message);
        foreach (var child in ours.Reverse())
        {
            await DeleteOwnedAsync(child, cancellationToken);
        }

        return await CleanUpAndExpireAsync(updated, cancellationToken);
    }

    /// <summary>
    /// The Pod of the sandbox's name controlled by this execution, from the cache or else the API server (the cache may
    /// lag behind a create of an earlier attempt); null when there is none.
    /// </summary>
    private async Task<V1Pod?> FindControlledPodAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var key = new ObjectKey(execution.Metadata.NamespaceProperty, SandboxNames.Pod(execution));
        var uid = execution.Metadata.Uid;
        var cached = pods.Find(key);
        if (ChildOwnership.IsControlledBy(cached?.Metadata, uid))
        {
            return cached;
        }

        var read = await ReadPodAsync(key, cancellationToken);
        return ChildOwnership.IsControlledBy(read?.Metadata, uid) ? read : null;
    }

    /// <summary>
    /// Null while the NetworkPolicy and the code object created for this execution (their UIDs in status) are in place
    /// and the policy's spec unchanged (generation 1); otherwise what happened to them. Reads the caches, and the API
    /// server only when a cache does not have the object (it may lag behind our own create).
    /// </summary>
    private async Task<string?> IsolationProblemAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var status = execution.Status!;
        var namespaceName = execution.Metadata.NamespaceProperty;
        if (status.NetworkPolicyUid is { } policyUid)
        {
            var key = new ObjectKey(namespaceName, SandboxNames.NetworkPolicy(execution));
            var policy = WithUid(policies.Find(key), policyUid) ?? WithUid(await ReadOrNullAsync(() =>
                client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(key.Name, namespaceName, cancellationToken: cancellationToken)), policyUid);
            if (policy is null)
            {
                return $"the NetworkPolicy {key.Name} that isolates the sandbox was deleted or replaced while the Pod existed";
            }

            if (policy.Metadata.Generation is > 1)
            {
                return $"the NetworkPolicy {key.Name} that isolates the sandbox was changed while the Pod existed";
            }
        }

        if (status.CodeObjectUid is { } codeUid)
        {
            var key = new ObjectKey(namespaceName, SandboxNames.Code(execution));
            var isSecret = ResolvedCode.KindOf(execution) == CodeSourceKind.Secret;
            IKubernetesObject<V1ObjectMeta>? code = isSecret
                ? WithUid(secrets.Find(key), codeUid) ?? WithUid(await ReadOrNullAsync(() =>
                    client.CoreV1.ReadNamespacedSecretAsync(key.Name, namespaceName, cancellationToken: cancellationToken)), codeUid)
                : WithUid(configMaps.Find(key), codeUid) ?? WithUid(await ReadOrNullAsync(() =>
                    client.CoreV1.ReadNamespacedConfigMapAsync(key.Name, namespaceName, cancellationToken: cancellationToken)), codeUid);
            if (code is null)
            {
                return $"the code {(isSecret ? "Secret" : "ConfigMap")} {key.Name} was deleted or replaced while the Pod existed";
            }
        }

        return null;
    }

    /// <summary>
    /// Stops the sandbox at once (its isolation or code can no longer be vouched for: the Pod is deleted with grace period
    /// 0, so code that ignores SIGTERM gets no termination grace period) and ends the execution Failed IsolationLost.
    /// </summary>
    private async Task<ReconcileResult> EndIsolationLostAsync(CodeExecution execution, V1Pod pod, string problem, CancellationToken cancellationToken)
    {
        await DeleteOwnedAsync(pod, cancellationToken, gracePeriodSeconds: 0);
        var now = time.GetUtcNow().UtcDateTime;
        var observed = PodOutcome.Observe(pod, time.GetUtcNow(), Sandbox.StartDeadline);
        var lost = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.IsolationLost,
            problem + "; the operator deleted the sandbox Pod", observed.ExitCode, observed.StartedAt, observed.FinishedAt ?? now);
        return await FinishAsync(execution, null, lost, "the sandbox was stopped because its isolation was lost", cancellationToken);
    }

    /// <summary>
    /// Deletes the children this operator created for the execution: the objects of the UIDs in status, found in the
    /// caches of Pods, code objects and NetworkPolicies, each deleted with a UID precondition. Nothing else is deleted,
    /// whatever its name or ownerReferences (anything else that names this execution as its controller goes with it
    /// through the garbage collector). The Pod goes first, and its NetworkPolicy must outlive it: while the Pod is still
    /// in the cache (terminating for its grace period, or its deletion not yet observed) the policy is kept and the
    /// clean-up is retried shortly, and the CodeExecution is not expired either (its deletion would let the garbage
    /// collector take the policy). Once they are gone, a resync or a restart finds nothing to delete and makes no API call.
    /// </summary>
    private async Task<ReconcileResult> CleanUpAndExpireAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var status = execution.Status;
        var namespaceName = execution.Metadata.NamespaceProperty;
        var isSecret = ResolvedCode.KindOf(execution) == CodeSourceKind.Secret;
        IKubernetesObject<V1ObjectMeta>?[] children =
        [
            status?.PodUid is { } podUid ? WithUid(pods.Find(new ObjectKey(namespaceName, status.PodName ?? SandboxNames.Pod(execution))), podUid) : null,
            status?.CodeObjectUid is { } codeUid
                ? isSecret
                    ? WithUid(secrets.Find(new ObjectKey(namespaceName, SandboxNames.Code(execution))), codeUid)
                    : WithUid(configMaps.Find(new ObjectKey(namespaceName, SandboxNames.Code(execution))), codeUid)
                : null,
            status?.NetworkPolicyUid is { } policyUid ? WithUid(policies.Find(new ObjectKey(namespaceName, SandboxNames.NetworkPolicy(execution))), policyUid) : null,
        ];
        var podRemains = children[0] is not null;
        foreach (var child in children)
        {
            if (child is V1NetworkPolicy && podRemains)
            {
                continue;
            }

            if (child is not null && child.Metadata.DeletionTimestamp is null)
            {
                await DeleteOwnedAsync(child, cancellationToken);
            }
        }

        if (podRemains)
        {
            return ReconcileResult.After(TimeSpan.FromSeconds(1));
        }

        return await ExpireAsync(execution, cancellationToken);
    }

    private async Task<ReconcileResult> ExpireAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        if (GitOpsTracking.KeepsFinished(execution.Metadata, execution.Spec.TtlSecondsAfterFinished))
        {
            // A GitOps tool would re-create it at its next sync and the code would run again: no default TTL here.
            return ReconcileResult.Done;
        }

        var ttl = TimeSpan.FromSeconds(execution.Spec.TtlSecondsAfterFinished ?? Sandbox.DefaultTtlSecondsAfterFinished);
        var now = time.GetUtcNow();
        var completed = execution.Status?.CompletionTime is { } completion
            ? new DateTimeOffset(DateTime.SpecifyKind(completion, DateTimeKind.Utc))
            : now;
        var left = completed + ttl - now;
        if (left > TimeSpan.Zero)
        {
            return ReconcileResult.After(left);
        }

        var metadata = execution.Metadata;
        await DeleteIgnoringMissingAsync(() => client.CustomObjects.DeleteNamespacedCustomObjectAsync(
            ApiConstants.Group, ApiConstants.Version, metadata.NamespaceProperty, ApiConstants.CodeExecutionPlural, metadata.Name,
            new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = metadata.Uid } },
            cancellationToken: cancellationToken));
        logger.LogInformation("{Namespace}/{Name}: deleted {Ttl} after it finished (ttlSecondsAfterFinished)",
            metadata.NamespaceProperty, metadata.Name, FinalStatusBuilder.FormatDuration((long)ttl.TotalMilliseconds));
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Reads and decodes the collector's record, at most <see cref="SandboxRun.LogLimitBytes"/> (from status and the
    /// options, never from the Pod) whatever the server sends. A log that is gone (404) is reported as output not
    /// collected; any other failure (a 5xx, a 429, the network) fails the reconcile so it is retried with the Pod still
    /// there, until the result is overdue: a transient error never costs the output.
    /// </summary>
    private async Task<(CollectedOutput? Output, string? Error)> CollectOutputAsync(V1Pod pod, SandboxRun run, PodObservation outcome,
        CancellationToken cancellationToken)
    {
        try
        {
            var limit = (int)Math.Min(int.MaxValue - 1, run.LogLimitBytes);
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                container: SandboxRenderer.CollectorContainerName, limitBytes: limit, cancellationToken: cancellationToken);
            var log = await ReadAtMostAsync(stream, limit, cancellationToken);
            var output = OutputDecoder.Decode(log, run.OutputBytes, out var error);
            return (output, error);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound || CollectorOverdue(pod, outcome, time.GetUtcNow()))
        {
            return (null, $"the collector's log could not be read ({(int)e.Response.StatusCode} {e.Response.ReasonPhrase})");
        }
    }

    /// <summary>
    /// Reads codeexec-init's report from the code container's log (its last <see cref="InitReport.LogTailLines"/> lines,
    /// at most <see cref="InitReport.LogLimitBytes"/>). A log that is gone (404), or one that cannot be read once the
    /// result is overdue, gives no report (the kubelet's word stands alone); other failures are retried like the
    /// collector's log.
    /// </summary>
    private async Task<InitReport?> ReadInitReportAsync(V1Pod pod, PodObservation outcome, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                container: SandboxRenderer.CodeContainerName, tailLines: InitReport.LogTailLines, limitBytes: InitReport.LogLimitBytes,
                cancellationToken: cancellationToken);
            return InitReport.Parse(await ReadAtMostAsync(stream, InitReport.LogLimitBytes, cancellationToken));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound || CollectorOverdue(pod, outcome, time.GetUtcNow()))
        {
            logger.LogWarning("{Namespace}/{Pod}: codeexec-init's report could not be read ({Status}); the kubelet's result stands",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, (int)e.Response.StatusCode);
            return null;
        }
    }

    private static async Task<string> ReadAtMostAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(limit, 1 << 16)];
        using var kept = new MemoryStream();
        int read;
        while (kept.Length < limit && (read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - kept.Length)), cancellationToken)) > 0)
        {
            kept.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    /// <summary>
    /// True when the collector has had its termination grace period and more since the code ended, and still has not
    /// finished: the result is then written without waiting longer (the output is reported as not collected).
    /// </summary>
    private bool CollectorOverdue(V1Pod pod, PodObservation observation, DateTimeOffset now)
    {
        if (observation.FinishedAt is not { } finished)
        {
            return true;
        }

        var grace = TimeSpan.FromSeconds(pod.Spec.TerminationGracePeriodSeconds ?? 30) + Executions.DeadlineGrace;
        return now - new DateTimeOffset(DateTime.SpecifyKind(finished, DateTimeKind.Utc)) > grace;
    }

    private CodeRuntime? FindRuntime(CodeExecution execution, out string? problem)
    {
        problem = null;
        if (execution.Spec.Runtime is { } name)
        {
            return runtimes.Find(new ObjectKey(null, name));
        }

        var defaults = runtimes.List()
            .Where(r => r.Metadata.Annotations?.TryGetValue(ApiConstants.DefaultRuntimeAnnotation, out var value) == true
                        && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        if (defaults.Count > 1)
        {
            problem = "spec.runtime is not set and more than one CodeRuntime is annotated " + ApiConstants.DefaultRuntimeAnnotation
                      + "=true (" + string.Join(", ", defaults.Select(r => r.Metadata.Name)) + "): name one in spec.runtime";
        }

        return defaults.Count == 1 ? defaults[0] : null;
    }

    private async Task<(ResolvedCode? Code, string? Problem)> ReadCodeAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var source = execution.Spec.CodeFrom;
        var namespaceName = execution.Metadata.NamespaceProperty;
        var configMap = source?.ConfigMapKeyRef is { } configMapRef
            ? await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(configMapRef.Name, namespaceName, cancellationToken: cancellationToken))
            : null;
        var secret = source?.SecretKeyRef is { } secretRef
            ? await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedSecretAsync(secretRef.Name, namespaceName, cancellationToken: cancellationToken))
            : null;
        var code = ResolvedCode.FromReference(execution, configMap, secret, out var error);
        return (code, error);
    }

    /// <summary>
    /// Creates <paramref name="child"/>, or finds it already there. A 409 is never taken to mean "ours": the existing
    /// object is read and used only when <see cref="ChildOwnership.WhyNotOurs"/> finds it this execution's; otherwise
    /// the result is a NameConflict refusal. A 4xx refusal of the create (invalid, forbidden by admission, over quota)
    /// is a refusal too; 5xx, 429, 408 and network errors are thrown and the reconcile is retried with backoff.
    /// </summary>
    private async Task<EnsuredChild> EnsureChildAsync(IKubernetesObject<V1ObjectMeta> child, CodeExecution execution, CancellationToken cancellationToken)
    {
        var kind = KindOf(child);
        var name = child.Metadata.Name;
        try
        {
            return new EnsuredChild(await CreateAsync(child, cancellationToken), true, null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await ReadAsync(child, cancellationToken)
                           ?? throw new InvalidOperationException($"{kind} {name} already existed and is gone now; trying again");
            var why = ChildOwnership.WhyNotOurs(child, existing, execution.Metadata.Uid);
            if (why is null)
            {
                return new EnsuredChild(existing, false, null);
            }

            return new EnsuredChild(null, false, new ChildRefusal(ExecutionReason.NameConflict,
                $"{kind} {name} already exists and is not this execution's ({why}): nothing of it was used and no sandbox Pod was created"));
        }
        catch (HttpOperationException e) when (ChildRefusal.IsFinal(e.Response.StatusCode))
        {
            return new EnsuredChild(null, false, ChildRefusal.From(child is V1Pod, kind, name, e));
        }
    }

    private async Task<IKubernetesObject<V1ObjectMeta>> CreateAsync(IKubernetesObject<V1ObjectMeta> child, CancellationToken cancellationToken)
    {
        var namespaceName = child.Metadata.NamespaceProperty;
        return child switch
        {
            V1NetworkPolicy policy => await client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, namespaceName, cancellationToken: cancellationToken),
            V1ConfigMap configMap => await client.CoreV1.CreateNamespacedConfigMapAsync(configMap, namespaceName, cancellationToken: cancellationToken),
            V1Secret secret => await client.CoreV1.CreateNamespacedSecretAsync(secret, namespaceName, cancellationToken: cancellationToken),
            V1Pod pod => await client.CoreV1.CreateNamespacedPodAsync(pod, namespaceName, cancellationToken: cancellationToken),
            _ => throw new ArgumentException($"unexpected child kind {child.Kind}", nameof(child)),
        };
    }

    private async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IKubernetesObject<V1ObjectMeta> child, CancellationToken cancellationToken)
    {
        var (name, namespaceName) = (child.Metadata.Name, child.Metadata.NamespaceProperty);
        return child switch
        {
            V1NetworkPolicy => await ReadOrNullAsync(() => client.NetworkingV1.ReadNamespacedNetworkPolicyAsync(name, namespaceName, cancellationToken: cancellationToken)),
            V1ConfigMap => await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(name, namespaceName, cancellationToken: cancellationToken)),
            V1Secret => await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedSecretAsync(name, namespaceName, cancellationToken: cancellationToken)),
            V1Pod => await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPodAsync(name, namespaceName, cancellationToken: cancellationToken)),
            _ => throw new ArgumentException($"unexpected child kind {child.Kind}", nameof(child)),
        };
    }

    /// <summary>
    /// Deletes a child known to be ours, by UID: if the name now holds another object, the precondition fails and nothing
    /// is deleted. <paramref name="gracePeriodSeconds"/> 0 stops a Pod at once instead of after its termination grace period.
    /// </summary>
    private async Task DeleteOwnedAsync(IKubernetesObject<V1ObjectMeta> child, CancellationToken cancellationToken, long? gracePeriodSeconds = null)
    {
        var (name, namespaceName) = (child.Metadata.Name, child.Metadata.NamespaceProperty);
        var options = new V1DeleteOptions
        {
            PropagationPolicy = "Background",
            GracePeriodSeconds = gracePeriodSeconds,
            Preconditions = new V1Preconditions { Uid = child.Metadata.Uid },
        };
        try
        {
            switch (child)
            {
                case V1Pod:
                    await client.CoreV1.DeleteNamespacedPodAsync(name, namespaceName, options, cancellationToken: cancellationToken);
                    break;
                case V1ConfigMap:
                    await client.CoreV1.DeleteNamespacedConfigMapAsync(name, namespaceName, options, cancellationToken: cancellationToken);
                    break;
                case V1Secret:
                    await client.CoreV1.DeleteNamespacedSecretAsync(name, namespaceName, options, cancellationToken: cancellationToken);
                    break;
                case V1NetworkPolicy:
                    await client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, namespaceName, options, cancellationToken: cancellationToken);
                    break;
                default:
                    throw new ArgumentException($"unexpected child kind {child.Kind}", nameof(child));
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or the name now holds another object (the UID precondition failed): not ours to delete.
        }
    }

    private static string KindOf(IKubernetesObject<V1ObjectMeta> child) => child switch
    {
        V1NetworkPolicy => "NetworkPolicy",
        V1ConfigMap => "ConfigMap",
        V1Secret => "Secret",
        V1Pod => "Pod",
        _ => child.Kind ?? child.GetType().Name,
    };

    private static T? WithUid<T>(T? child, string uid)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        child is not null && string.Equals(child.Metadata.Uid, uid, StringComparison.Ordinal) ? child : null;

    private async Task<CodeExecution?> ReadExecutionAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(
                ApiConstants.Group, ApiConstants.Version, key.Namespace, ApiConstants.CodeExecutionPlural, key.Name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Task<V1Pod?> ReadPodAsync(ObjectKey key, CancellationToken cancellationToken) =>
        ReadOrNullAsync(() => client.CoreV1.ReadNamespacedPodAsync(key.Name, key.Namespace, cancellationToken: cancellationToken));

    private static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Replaces the status, guarded by the resourceVersion read at the start of this reconcile: a concurrent change
    /// makes it fail with 409, and the retry re-reads the object, so a result is never written over a newer state.
    /// </summary>
    private async Task<CodeExecution> WriteStatusAsync(CodeExecution execution, CodeExecutionStatus status, CancellationToken cancellationToken)
    {
        var metadata = execution.Metadata;
        var body = new CodeExecution
        {
            Metadata = new V1ObjectMeta
            {
                Name = metadata.Name,
                NamespaceProperty = metadata.NamespaceProperty,
                ResourceVersion = metadata.ResourceVersion,
                Uid = metadata.Uid,
            },
            Spec = execution.Spec,
            Status = status,
        };
        return await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<CodeExecution>(
            body, ApiConstants.Group, ApiConstants.Version, metadata.NamespaceProperty, ApiConstants.CodeExecutionPlural, metadata.Name,
            cancellationToken: cancellationToken);
    }

    private static async Task DeleteIgnoringMissingAsync(Func<Task> delete)
    {
        try
        {
            await delete();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

}
