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
/// reads what exists (the live CodeExecution, the cached Pod) and does only what is missing, with deterministic child
/// names, so a repeat after a crash, a conflict or a lost leadership creates nothing twice and loses no result:
/// <list type="number">
/// <item>admit (runtime, limits, egress, code source) or write phase Rejected and create nothing;</item>
/// <item>wait in phase Queued while the namespace has its maximum of active sandboxes;</item>
/// <item>create the NetworkPolicy, then the code ConfigMap/Secret, then the Pod (never a Pod without its policy);</item>
/// <item>observe the Pod's status (the kubelet's word, not the code's): Pending, Running, then a final result;</item>
/// <item>collect the bounded output from the collector sidecar's log and write the whole result in one status write
/// (a 409 fails the reconcile, which re-reads and retries; the Pod stays until the result is stored);</item>
/// <item>delete the children, and the CodeExecution itself once its TTL after completion has passed.</item>
/// </list>
/// </summary>
internal sealed class CodeExecutionReconciler(
    IKubernetes client,
    IObjectCache<CodeExecution> executions,
    IObjectCache<CodeRuntime> runtimes,
    IObjectCache<V1Pod> pods,
    IEgressResolver egressResolver,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<ExecutionOptions> executionOptions,
    ExecutionEvents events,
    ExecutionMetrics metrics,
    CleanupLedger ledger,
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
            ledger.Forget(cached?.Metadata.Uid);
            return ReconcileResult.Done;
        }

        if (ExecutionPhase.IsFinal(cached.Status?.Phase) && ledger.IsCleaned(cached.Metadata.Uid))
        {
            return await ExpireAsync(cached, cancellationToken);
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

        var podKey = new ObjectKey(key.Namespace, SandboxNames.Pod(key.Name));
        var pod = pods.Find(podKey);
        if (pod is not null && !IsControlledBy(pod, execution))
        {
            // A Pod of an earlier CodeExecution of the same name, still being garbage collected.
            logger.LogInformation("{Key}: waiting for the Pod of an earlier execution of the same name to go", key);
            return ReconcileResult.After(TimeSpan.FromSeconds(2));
        }

        if (pod is null && HasCondition(execution, ConditionTypes.PodCreated))
        {
            // The cache may lag behind our own create: ask the API server before calling the Pod gone.
            pod = await ReadPodAsync(podKey, cancellationToken);
            if (pod is null)
            {
                var gone = PodOutcome.Observe(null, time.GetUtcNow(), Sandbox.StartDeadline);
                return await FinishAsync(execution, null, gone, cancellationToken);
            }
        }

        return pod is null
            ? await StartAsync(execution, cancellationToken)
            : await ObserveAsync(execution, pod, cancellationToken);
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
        foreach (var child in children.InCreationOrder)
        {
            // Sequential on purpose: the Pod is created only once its NetworkPolicy exists.
            var created = await CreateIfMissingAsync(child, cancellationToken);
            if (created && child is V1Pod)
            {
                metrics.PodCreated();
            }
        }

        await WritePodCreatedAsync(execution, SandboxRun.From(request), cancellationToken);
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

            return await FinishAsync(execution, pod, observation, cancellationToken);
        }

        if (execution.Status?.PodName is null)
        {
            // The Pod was created by an attempt that stopped before writing status (a crash or lost leadership).
            await WritePodCreatedAsync(execution, SandboxRun.FromPod(pod), cancellationToken);
            return ReconcileResult.Done;
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
            return await FinishAsync(execution, pod, overdue, cancellationToken);
        }

        if (execution.Status?.Phase != ExecutionPhase.Running)
        {
            var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Running, null, observation.Message, SandboxRun.FromPod(pod), observation, time);
            var updated = await WriteStatusAsync(execution, status, cancellationToken);
            await events.RecordAsync(updated, ExecutionEventReasons.Started, "the code started in Pod " + pod.Metadata.Name, false, cancellationToken);
        }

        return ReconcileResult.After(deadline - now);
    }

    private async Task<ReconcileResult> FinishAsync(CodeExecution execution, V1Pod? pod, PodObservation outcome, CancellationToken cancellationToken)
    {
        CollectedOutput? output = null;
        string? outputError;
        if (pod is null)
        {
            outputError = "the sandbox Pod is gone";
        }
        else
        {
            (output, outputError) = await CollectOutputAsync(pod, outcome, cancellationToken);
        }

        var previous = execution.Status;
        var run = pod is not null
            ? SandboxRun.FromPod(pod)
            : new SandboxRun(previous?.Runtime ?? "", previous?.Image ?? "", previous?.PodName ?? SandboxNames.Pod(execution.Metadata.Name),
                previous?.CodeSha256 ?? "", Sandbox.DefaultOutputBytes);
        var status = FinalStatusBuilder.Final(execution, outcome, output, outputError, run, time);
        var updated = await WriteStatusAsync(execution, status, cancellationToken);

        metrics.ExecutionFinished(status.Phase!, status.Reason, status.DurationMs, status.StdoutTruncated == true, status.StderrTruncated == true);
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
        metrics.ExecutionFinished(ExecutionPhase.Rejected, ExecutionReason.Rejected, null, false, false);
        await events.RecordAsync(updated, ExecutionEventReasons.Rejected, admission.Message!, true, cancellationToken);
        ledger.MarkCleaned(updated.Metadata.Uid);
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
        var active = pods.List(namespaceName).Count(p => p.Status?.Phase is not ("Succeeded" or "Failed") && p.Metadata.DeletionTimestamp is null);
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

    private async Task WritePodCreatedAsync(CodeExecution execution, SandboxRun run, CancellationToken cancellationToken)
    {
        var status = FinalStatusBuilder.InProgress(execution, ExecutionPhase.Pending, null, "created the sandbox Pod " + run.PodName, run, null, time);
        var updated = await WriteStatusAsync(execution, status, cancellationToken);
        await events.RecordAsync(updated, ExecutionEventReasons.Created,
            $"created sandbox Pod {run.PodName} (runtime {run.RuntimeName}, image {run.Image})", false, cancellationToken);
    }

    private async Task<ReconcileResult> CleanUpAndExpireAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
        var metadata = execution.Metadata;
        var namespaceName = metadata.NamespaceProperty;
        var name = metadata.Name;
        // The Pod goes first: its NetworkPolicy must outlive it.
        await DeleteIgnoringMissingAsync(() => client.CoreV1.DeleteNamespacedPodAsync(SandboxNames.Pod(name), namespaceName,
            new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: cancellationToken));
        // The code copy is a Secret exactly when the code came from one; the policy's name follows the network mode.
        await DeleteIgnoringMissingAsync(() => ResolvedCode.KindOf(execution) == CodeSourceKind.Secret
            ? client.CoreV1.DeleteNamespacedSecretAsync(SandboxNames.Code(name), namespaceName, cancellationToken: cancellationToken)
            : client.CoreV1.DeleteNamespacedConfigMapAsync(SandboxNames.Code(name), namespaceName, cancellationToken: cancellationToken));
        await DeleteIgnoringMissingAsync(() => client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(SandboxNames.NetworkPolicy(execution), namespaceName,
            cancellationToken: cancellationToken));
        ledger.MarkCleaned(metadata.Uid);
        return await ExpireAsync(execution, cancellationToken);
    }

    private async Task<ReconcileResult> ExpireAsync(CodeExecution execution, CancellationToken cancellationToken)
    {
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
        ledger.Forget(metadata.Uid);
        logger.LogInformation("{Namespace}/{Name}: deleted {Ttl} after it finished (ttlSecondsAfterFinished)",
            metadata.NamespaceProperty, metadata.Name, FinalStatusBuilder.FormatDuration((long)ttl.TotalMilliseconds));
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Reads and decodes the collector's record. A log that is gone (404) is reported as output not collected; any other
    /// failure (a 5xx, a 429, the network) fails the reconcile so it is retried with the Pod still there, until the
    /// result is overdue: a transient error never costs the output.
    /// </summary>
    private async Task<(CollectedOutput? Output, string? Error)> CollectOutputAsync(V1Pod pod, PodObservation outcome, CancellationToken cancellationToken)
    {
        var run = SandboxRun.FromPod(pod);
        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                container: SandboxRenderer.CollectorContainerName, limitBytes: (int)Math.Min(int.MaxValue, run.LogLimitBytes), cancellationToken: cancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var log = await reader.ReadToEndAsync(cancellationToken);
            var output = OutputDecoder.Decode(log, run.OutputBytes, out var error);
            return (output, error);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound || CollectorOverdue(pod, outcome, time.GetUtcNow()))
        {
            return (null, $"the collector's log could not be read ({(int)e.Response.StatusCode} {e.Response.ReasonPhrase})");
        }
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

    private async Task<bool> CreateIfMissingAsync(IKubernetesObject<V1ObjectMeta> child, CancellationToken cancellationToken)
    {
        var namespaceName = child.Metadata.NamespaceProperty;
        try
        {
            switch (child)
            {
                case V1NetworkPolicy policy:
                    await client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, namespaceName, cancellationToken: cancellationToken);
                    break;
                case V1ConfigMap configMap:
                    await client.CoreV1.CreateNamespacedConfigMapAsync(configMap, namespaceName, cancellationToken: cancellationToken);
                    break;
                case V1Secret secret:
                    await client.CoreV1.CreateNamespacedSecretAsync(secret, namespaceName, cancellationToken: cancellationToken);
                    break;
                case V1Pod pod:
                    await client.CoreV1.CreateNamespacedPodAsync(pod, namespaceName, cancellationToken: cancellationToken);
                    break;
                default:
                    throw new ArgumentException($"unexpected child kind {child.Kind}", nameof(child));
            }

            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

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

    private static bool HasCondition(CodeExecution execution, string type) =>
        execution.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    private static bool IsControlledBy(V1Pod pod, CodeExecution execution) =>
        pod.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == execution.Metadata.Uid) == true;
}
