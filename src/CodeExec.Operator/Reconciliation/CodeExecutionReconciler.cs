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
/// <item>wait in phase Queued while the namespace's active sandboxes leave no room under its limits (concurrent
/// executions, CPU, memory: <see cref="NamespaceLimits"/>) or an older execution of the namespace waits
/// (<see cref="NamespaceQueue"/>). Only checks that need no I/O run before: a waiting execution is decided from the
/// caches alone, with no DNS lookup, no codeFrom read and, while nothing changes, no API call at all. The egress hosts
/// are resolved and the code is read once a slot is free;</item>
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
    IOperatorApi api,
    IObjectCache<CodeExecution> executions,
    IObjectCache<CodeRuntime> runtimes,
    IObjectCache<V1Pod> pods,
    IObjectCache<V1NetworkPolicy> policies,
    IObjectCache<V1Namespace> namespaces,
    IEgressResolver egressResolver,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<ExecutionOptions> executionOptions,
    ExecutionEvents events,
    ExecutionMetrics metrics,
    SandboxQuotas quotas,
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

        if (cached.Status?.Phase == ExecutionPhase.Queued && NamespaceQueue.IsWaiting(cached)
            && StillWaiting(cached) is { } waiting && (!waiting.IsHead || waiting.Message == cached.Status.Message))
        {
            // Still waiting, decided from the caches: no API call, no DNS lookup, no code read. Only the oldest waiting
            // execution of the namespace rewrites its message when the reason changes (a status write each time).
            return ReconcileResult.After(Executions.QueuedRecheckInterval);
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
        // First what needs no I/O; a rejection is final, so it then does the lookups too and names every problem.
        var runtime = FindRuntime(execution, out var runtimeProblem);
        if (runtimeProblem is not null)
        {
            return await RejectAsync(execution, AdmissionResult.Rejected([runtimeProblem], execution.Spec.Runtime), cancellationToken);
        }

        var checkedFirst = Admission.AdmitBeforeResolving(execution, runtime, Sandbox);
        if (Admission.CheckNamespaceCount(execution, executions.List(execution.Metadata.NamespaceProperty), Sandbox) is { } countProblem)
        {
            var all = checkedFirst.IsAdmitted ? checkedFirst : await AdmitAsync(execution, runtime, cancellationToken);
            return await RejectAsync(execution, AdmissionResult.Rejected([.. all.Errors, countProblem], all.RuntimeName ?? execution.Spec.Runtime),
                cancellationToken);
        }

        if (!checkedFirst.IsAdmitted)
        {
            return await RejectAsync(execution, await AdmitAsync(execution, runtime, cancellationToken), cancellationToken);
        }

        var decision = DecideQueue(execution, runtime!, checkedFirst);
        switch (decision.Verdict)
        {
            case QueueVerdict.Reject:
                return await RejectAsync(execution, AdmissionResult.Rejected([decision.Message!], checkedFirst.RuntimeName), cancellationToken);
            case QueueVerdict.Wait:
                return await QueueAsync(execution, decision, cancellationToken);
        }

        // A slot is free: only now resolve the egress hosts and read the code.
        var admission = await AdmitAsync(execution, runtime, cancellationToken);
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

        await quotas.EnsureAsync(execution.Metadata.NamespaceProperty, LimitsOf(execution.Metadata.NamespaceProperty), ours.OfType<V1Pod>().Single(),
            cancellationToken);
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
        (CapturedStream Stdout, CapturedStream Stderr)? record = null;
        var outputError = notCollected;
        if (pod is not null)
        {
            (record, outputError) = await CollectOutputAsync(pod, run, outcome, cancellationToken);
            if (outcome.Reason is ExecutionReason.Completed or ExecutionReason.Error)
            {
                outcome = InitReport.Apply(outcome, await ReadInitReportAsync(pod, outcome, cancellationToken));
            }
        }

        var status = FinalStatusBuilder.FinalWithinSize(execution, outcome, record, outputError, run, time);
        CodeExecution updated;
        try
        {
            updated = await WriteStatusAsync(execution, status, cancellationToken);
        }
        catch (HttpOperationException e) when (StatusSize.IsRefusedForSize(e))
        {
            // The same write would be refused again: store the result without its output, so the execution still ends
            // and its sandbox is cleaned up.
            var why = ServerAnswer(e);
            logger.LogWarning("{Namespace}/{Name}: the final status was refused ({Why}); writing it without stdout and stderr",
                execution.Metadata.NamespaceProperty, execution.Metadata.Name, why);
            status = FinalStatusBuilder.WithoutOutput(status, why, execution.Metadata.Generation, time);
            try
            {
                updated = await WriteStatusAsync(execution, status, cancellationToken);
            }
            catch (HttpOperationException again) when (StatusSize.IsTooLarge(again))
            {
                // Even a status without output is too large: the object itself (its spec and metadata) is at etcd's
                // limit and can hold no result. Nothing is retried: the Event keeps the result, the sandbox is cleaned
                // up (the Pod first, then its NetworkPolicy) and the CodeExecution deleted, as with a TTL of 0.
                logger.LogError("{Namespace}/{Name}: no final status can be written ({Why}); deleting the execution after its sandbox",
                    execution.Metadata.NamespaceProperty, execution.Metadata.Name, ServerAnswer(again));
                await events.RecordAsync(execution, ExecutionEventReasons.Failed, status.Message
                    + "; no result can be stored in this CodeExecution (" + ServerAnswer(again) + "): it is deleted", true, cancellationToken);
                var spec = KubernetesJson.Deserialize<CodeExecutionSpec>(KubernetesJson.Serialize(execution.Spec));
                spec.TtlSecondsAfterFinished = 0;
                return await CleanUpAndExpireAsync(new CodeExecution { Metadata = execution.Metadata, Spec = spec, Status = status }, cancellationToken);
            }
        }

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

    /// <summary>The full admission: <see cref="Admission.Admit"/> with the egress hosts resolved (if any are asked for).</summary>
    private async Task<AdmissionResult> AdmitAsync(CodeExecution execution, CodeRuntime? runtime, CancellationToken cancellationToken)
    {
        var hosts = Admission.HostsToResolve(execution, runtime, Sandbox);
        var resolved = hosts.Count > 0 ? await egressResolver.ResolveAsync(hosts, cancellationToken) : null;
        return Admission.Admit(execution, runtime, Sandbox, resolved);
    }

    /// <summary>
    /// The decision for a cached execution that must still wait, from the caches alone; null when it may start, would
    /// be rejected, or its runtime is gone (the full reconcile then deals with it).
    /// </summary>
    private QueueDecision? StillWaiting(CodeExecution execution)
    {
        var runtime = FindRuntime(execution, out var problem);
        if (problem is not null || runtime is null)
        {
            return null;
        }

        var checkedFirst = Admission.AdmitBeforeResolving(execution, runtime, Sandbox);
        if (!checkedFirst.IsAdmitted)
        {
            return null;
        }

        var decision = DecideQueue(execution, runtime, checkedFirst);
        return decision.Verdict == QueueVerdict.Wait ? decision : null;
    }

    /// <summary>
    /// Whether <paramref name="execution"/> (admitted by <see cref="Admission.AdmitBeforeResolving"/>) starts now, from
    /// the caches: its namespace's limits (the Namespace's annotations over the options), what the namespace's active
    /// sandboxes use, the limits of the Pod it would get, and the older executions of the namespace still waiting.
    /// </summary>
    private QueueDecision DecideQueue(CodeExecution execution, CodeRuntime runtime, AdmissionResult checkedFirst)
    {
        var namespaceName = execution.Metadata.NamespaceProperty;
        var limits = LimitsOf(namespaceName);
        var inNamespace = executions.List(namespaceName);
        var demand = DemandOf(execution, runtime, checkedFirst);
        var usage = UsageOf(namespaceName, execution.Metadata.Uid, inNamespace);
        return NamespaceQueue.Decide(namespaceName, demand, usage, limits, NamespaceQueue.OlderWaiting(execution, inNamespace));
    }

    /// <summary>The limits of a namespace: its Namespace's annotations (from the cache) over the options.</summary>
    private NamespaceLimits LimitsOf(string namespaceName)
    {
        var limits = NamespaceLimits.Resolve(Executions, namespaces.Find(new ObjectKey(null, namespaceName)), out var problems);
        foreach (var problem in problems)
        {
            logger.LogWarning("Namespace {Namespace}: {Problem}; the configured default applies", namespaceName, problem);
        }

        return limits;
    }

    /// <summary>The cpu and memory limits of the sandbox Pod <paramref name="execution"/> would get (rendered, without code).</summary>
    private PodResources DemandOf(CodeExecution execution, CodeRuntime runtime, AdmissionResult checkedFirst)
    {
        var request = new SandboxRequest(execution, runtime, checkedFirst.Limits!, new ResolvedCode("", ResolvedCode.KindOf(execution)), checkedFirst.Egress);
        return PodResources.LimitsOf(SandboxRenderer.Pod(request, Sandbox));
    }

    /// <summary>
    /// What the active sandboxes of a namespace use, from the caches: each sandbox Pod that has not ended (one being
    /// deleted too, as ResourceQuota counts it until it is gone), by its limits; and each started execution (its Pod UID in status, not final) whose Pod the Pod cache
    /// does not hold yet, by the limits its Pod was rendered with. <paramref name="exceptUid"/>'s own are left out.
    /// </summary>
    private NamespaceUsage UsageOf(string namespaceName, string exceptUid, IReadOnlyList<CodeExecution> inNamespace)
    {
        var counted = new HashSet<string>(StringComparer.Ordinal) { exceptUid };
        var cachedPods = new HashSet<string>(StringComparer.Ordinal);
        var active = 0;
        var used = PodResources.Zero;
        foreach (var pod in pods.List(namespaceName))
        {
            // A Pod being deleted still counts until it is gone or has ended, as ResourceQuota counts it.
            cachedPods.Add(pod.Metadata.Uid);
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            var owner = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true)?.Uid ?? pod.Metadata.Uid;
            if (counted.Add(owner))
            {
                active++;
                used += PodResources.LimitsOf(pod);
            }
        }

        foreach (var other in inNamespace)
        {
            if (other.Status?.PodUid is not { } podUid || ExecutionPhase.IsFinal(other.Status.Phase) || cachedPods.Contains(podUid)
                || !counted.Add(other.Metadata.Uid))
            {
                continue;
            }

            active++;
            var runtime = FindRuntime(other, out _);
            var checkedFirst = runtime is null ? null : Admission.AdmitBeforeResolving(other, runtime, Sandbox);
            if (checkedFirst is { IsAdmitted: true })
            {
                used += DemandOf(other, runtime!, checkedFirst);
            }
        }

        return new NamespaceUsage(active, used);
    }

    /// <summary>
    /// Writes phase Queued with the decision's message (unless status is Queued already; the oldest waiting execution
    /// also rewrites a changed message) and checks again after the safety-net interval.
    /// </summary>
    private async Task<ReconcileResult> QueueAsync(CodeExecution execution, QueueDecision decision, CancellationToken cancellationToken)
    {
        var namespaceName = execution.Metadata.NamespaceProperty;
        var message = decision.Message!;
        var wasQueued = execution.Status?.Phase == ExecutionPhase.Queued;
        if (!wasQueued || (decision.IsHead && execution.Status?.Message != message))
        {
            var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Queued, ExecutionReason.QuotaExceeded, message, null, null, time);
            var updated = await WriteStatusAsync(execution, status, cancellationToken);
            if (!wasQueued)
            {
                await events.RecordAsync(updated, ExecutionEventReasons.Queued, message, false, cancellationToken);
            }
        }

        metrics.SetQueued(namespaceName, executions.List(namespaceName).Count(e => e.Status?.Phase == ExecutionPhase.Queued));
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
    /// and the policy's spec unchanged (generation 1); otherwise what happened to them. The policy is read from the
    /// cache, and from the API server only when the cache does not have it (it may lag behind our own create). The code
    /// object (never cached: no list or watch of ConfigMaps or Secrets) is read by name at every reconcile until the
    /// operator has recorded the code's start (phase Running), the last of them being the one that observes the start:
    /// the kubelet mounted the object when it created the container, before the start, and never refreshes an immutable
    /// ConfigMap or Secret in a running Pod (its watch-based manager stops watching immutable objects), so an object of
    /// ours seen after the start is what the code runs, and a replacement after that changes nothing in the Pod.
    /// </summary>
    private async Task<string?> IsolationProblemAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var status = execution.Status!;
        var namespaceName = execution.Metadata.NamespaceProperty;
        if (status.NetworkPolicyUid is { } policyUid)
        {
            var key = new ObjectKey(namespaceName, SandboxNames.NetworkPolicy(execution));
            var policy = WithUid(policies.Find(key), policyUid) ?? WithUid(await ReadOrNullAsync(() =>
                api.ReadNetworkPolicyAsync(key.Name, namespaceName, cancellationToken)), policyUid);
            if (policy is null)
            {
                return $"the NetworkPolicy {key.Name} that isolates the sandbox was deleted or replaced while the Pod existed";
            }

            if (policy.Metadata.Generation is > 1)
            {
                return $"the NetworkPolicy {key.Name} that isolates the sandbox was changed while the Pod existed";
            }
        }

        if (status.CodeObjectUid is { } codeUid && status.Phase != ExecutionPhase.Running)
        {
            var key = new ObjectKey(namespaceName, SandboxNames.Code(execution));
            var isSecret = ResolvedCode.KindOf(execution) == CodeSourceKind.Secret;
            IKubernetesObject<V1ObjectMeta>? code = isSecret
                ? WithUid(await ReadOrNullAsync(() =>
                    api.ReadSecretAsync(key.Name, namespaceName, cancellationToken)), codeUid)
                : WithUid(await ReadOrNullAsync(() =>
                    api.ReadConfigMapAsync(key.Name, namespaceName, cancellationToken)), codeUid);
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
    /// Deletes the children this operator created for the execution: the objects of the UIDs in status, each deleted with
    /// a UID precondition. Nothing else is deleted, whatever its name or ownerReferences (anything else that names this
    /// execution as its controller goes with it through the garbage collector). The Pod and the NetworkPolicy are found in
    /// their caches. The code ConfigMap or Secret is not cached (no list or watch of them): it is deleted by name and UID
    /// while the Pod or the policy is still there, and the policy goes only in a pass after that delete succeeded. The Pod
    /// goes first, and its NetworkPolicy must outlive it: while the Pod is still in the cache (terminating for its grace
    /// period, or its deletion not yet observed) the policy is kept and the clean-up is retried shortly, and the
    /// CodeExecution is not expired either (its deletion would let the garbage collector take the policy). Once they are
    /// gone, a resync or a restart finds nothing to delete and makes no API call.
    /// </summary>
    private async Task<ReconcileResult> CleanUpAndExpireAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var status = execution.Status;
        var namespaceName = execution.Metadata.NamespaceProperty;
        var pod = status?.PodUid is { } podUid ? WithUid(pods.Find(new ObjectKey(namespaceName, status.PodName ?? SandboxNames.Pod(execution))), podUid) : null;
        var policy = status?.NetworkPolicyUid is { } policyUid ? WithUid(policies.Find(new ObjectKey(namespaceName, SandboxNames.NetworkPolicy(execution))), policyUid) : null;
        IKubernetesObject<V1ObjectMeta>?[] children =
        [
            pod,
            status?.CodeObjectUid is { } codeUid && (pod is not null || policy is not null) ? CodeObjectOf(execution, codeUid) : null,
            policy,
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
        if (GitOpsTracking.KeepsFinished(execution.Metadata, execution.Status?.Phase, execution.Spec.TtlSecondsAfterFinished))
        {
            // A GitOps tool would re-create it at its next sync and the code would run again: no default TTL here (a
            // Rejected one ran nothing and is expired like any other).
            return ReconcileResult.Done;
        }

        // Never longer than the cluster maximum: an execution Rejected for its TTL (or admitted before the maximum was
        // lowered) is not kept for what it asked.
        var ttl = TimeSpan.FromSeconds(Math.Min(execution.Spec.TtlSecondsAfterFinished ?? Sandbox.DefaultTtlSecondsAfterFinished,
            Sandbox.MaxTtlSecondsAfterFinished));
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
        await DeleteIgnoringMissingAsync(() => api.DeleteExecutionAsync(metadata.NamespaceProperty, metadata.Name,
            new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = metadata.Uid } },
            cancellationToken));
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
    private async Task<((CapturedStream Stdout, CapturedStream Stderr)? Record, string? Error)> CollectOutputAsync(V1Pod pod, SandboxRun run, PodObservation outcome,
        CancellationToken cancellationToken)
    {
        var limit = (int)Math.Min(int.MaxValue - 1, run.LogLimitBytes);
        var (log, unreadable) = await ReadPodLogAsync(pod, outcome, SandboxRenderer.CollectorContainerName, limit, tailLines: null, cancellationToken);
        if (log is null)
        {
            return (null, $"the collector's log could not be read ({(int)unreadable!.Response.StatusCode} {unreadable.Response.ReasonPhrase})");
        }

        var record = OutputRecord.Parse(log, out var error);
        return (record, error);
    }

    /// <summary>
    /// Reads codeexec-init's report from the code container's log (its last <see cref="InitReport.LogTailLines"/> lines,
    /// at most <see cref="InitReport.LogLimitBytes"/>). A log that is gone (404), or one that cannot be read once the
    /// result is overdue, gives no report (the kubelet's word stands alone); other failures are retried like the
    /// collector's log.
    /// </summary>
    private async Task<InitReport?> ReadInitReportAsync(V1Pod pod, PodObservation outcome, CancellationToken cancellationToken)
    {
        var (log, unreadable) = await ReadPodLogAsync(pod, outcome, SandboxRenderer.CodeContainerName, InitReport.LogLimitBytes,
            InitReport.LogTailLines, cancellationToken);
        if (log is null)
        {
            logger.LogWarning("{Namespace}/{Pod}: codeexec-init's report could not be read ({Status}); the kubelet's result stands",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, (int)unreadable!.Response.StatusCode);
        }

        return InitReport.Parse(log);
    }

    /// <summary>
    /// One container's log of the sandbox Pod, at most <paramref name="limit"/> bytes whatever the server sends. A log
    /// that is gone (404), or one that cannot be read once the result is overdue, comes back null with the refusal; any
    /// other failure (a 5xx, a 429, the network) is thrown, so the reconcile is retried with the Pod still there.
    /// </summary>
    private async Task<(string? Log, HttpOperationException? Unreadable)> ReadPodLogAsync(V1Pod pod, PodObservation outcome, string container,
        int limit, int? tailLines, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await api.ReadPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, container, limit, tailLines,
                cancellationToken);
            return (await ReadAtMostAsync(stream, limit, cancellationToken), null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound || CollectorOverdue(pod, outcome, time.GetUtcNow()))
        {
            return (null, e);
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
            ? await ReadOrNullAsync(() => api.ReadConfigMapAsync(configMapRef.Name, namespaceName, cancellationToken))
            : null;
        var secret = source?.SecretKeyRef is { } secretRef
            ? await ReadOrNullAsync(() => api.ReadSecretAsync(secretRef.Name, namespaceName, cancellationToken))
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
            V1NetworkPolicy policy => await api.CreateNetworkPolicyAsync(policy, namespaceName, cancellationToken),
            V1ConfigMap configMap => await api.CreateConfigMapAsync(configMap, namespaceName, cancellationToken),
            V1Secret secret => await api.CreateSecretAsync(secret, namespaceName, cancellationToken),
            V1Pod pod => await api.CreatePodAsync(pod, namespaceName, cancellationToken),
            _ => throw new ArgumentException($"unexpected child kind {child.Kind}", nameof(child)),
        };
    }

    private async Task<IKubernetesObject<V1ObjectMeta>?> ReadAsync(IKubernetesObject<V1ObjectMeta> child, CancellationToken cancellationToken)
    {
        var (name, namespaceName) = (child.Metadata.Name, child.Metadata.NamespaceProperty);
        return child switch
        {
            V1NetworkPolicy => await ReadOrNullAsync(() => api.ReadNetworkPolicyAsync(name, namespaceName, cancellationToken)),
            V1ConfigMap => await ReadOrNullAsync(() => api.ReadConfigMapAsync(name, namespaceName, cancellationToken)),
            V1Secret => await ReadOrNullAsync(() => api.ReadSecretAsync(name, namespaceName, cancellationToken)),
            V1Pod => await ReadOrNullAsync(() => api.ReadPodAsync(name, namespaceName, cancellationToken)),
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
                    await api.DeletePodAsync(name, namespaceName, options, cancellationToken);
                    break;
                case V1ConfigMap:
                    await api.DeleteConfigMapAsync(name, namespaceName, options, cancellationToken);
                    break;
                case V1Secret:
                    await api.DeleteSecretAsync(name, namespaceName, options, cancellationToken);
                    break;
                case V1NetworkPolicy:
                    await api.DeleteNetworkPolicyAsync(name, namespaceName, options, cancellationToken);
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

    /// <summary>The code ConfigMap or Secret of <paramref name="execution"/> as far as deleting it by name and UID needs.</summary>
    private static IKubernetesObject<V1ObjectMeta> CodeObjectOf(CodeExecution execution, string uid)
    {
        var metadata = new V1ObjectMeta { Name = SandboxNames.Code(execution), NamespaceProperty = execution.Metadata.NamespaceProperty, Uid = uid };
        return ResolvedCode.KindOf(execution) == CodeSourceKind.Secret
            ? new V1Secret { Metadata = metadata }
            : new V1ConfigMap { Metadata = metadata };
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
            return await api.GetExecutionAsync(key.Namespace!, key.Name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Task<V1Pod?> ReadPodAsync(ObjectKey key, CancellationToken cancellationToken) =>
        ReadOrNullAsync(() => api.ReadPodAsync(key.Name, key.Namespace!, cancellationToken));

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
        return await api.ReplaceExecutionStatusAsync(StatusSize.WriteBody(execution, status), metadata.NamespaceProperty, metadata.Name,
            cancellationToken);
    }

    /// <summary>The API server's answer for a log line and a status message: code, reason and its Status message.</summary>
    private static string ServerAnswer(HttpOperationException e)
    {
        var message = e.Response.Content;
        try
        {
            message = KubernetesJson.Deserialize<V1Status>(e.Response.Content ?? "")?.Message ?? message;
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return string.Create(CultureInfo.InvariantCulture, $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}: {message}");
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
