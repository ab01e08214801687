using System.Net;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Commands;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// One execution and the statuses the operator writes for it, in the order it writes them. Each step builds the next
/// status from the execution as last read (its status included), as the reconciler does.
/// </summary>
internal sealed record StatusScenario(string Name, CodeExecution Execution, IReadOnlyList<Func<CodeExecution, CodeExecutionStatus>> Steps)
{
    /// <summary>Every status of the scenario without a server: each step sees the status of the step before.</summary>
    public IReadOnlyList<CodeExecutionStatus> BuildOffline()
    {
        var execution = KubernetesJson.Deserialize<CodeExecution>(KubernetesJson.Serialize(Execution));
        execution.Metadata.Uid = "00000000-0000-0000-0000-000000000001";
        execution.Metadata.Generation = 1;
        var statuses = new List<CodeExecutionStatus>();
        foreach (var step in Steps)
        {
            var status = step(execution);
            statuses.Add(status);
            execution.Status = status;
        }

        return statuses;
    }
}

/// <summary>
/// Every kind of status the operator writes, produced by the product's own functions: <see cref="PodOutcome.Observe"/>
/// on sandbox Pods rendered by <see cref="SandboxRenderer"/> with the kubelet's status of each ending,
/// <see cref="CollectCommand.Capture"/>, <see cref="OutputRecord.Write"/> and <see cref="OutputDecoder.Decode"/> on
/// real stream files (short, truncated, binary, the maximum size, missing, replaced), <see cref="Admission.Admit"/>,
/// and <see cref="FinalStatusBuilder"/> for each phase (Pending, Queued, Running, Succeeded, Failed, TimedOut, Rejected).
/// Only the kubelet's Pod status and the program's bytes are written here, as a kubelet and a program would.
/// </summary>
internal static class StatusShapes
{
    public const string Namespace = "shapes";

    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 0, DateTimeKind.Utc);
    private static readonly DateTime Started = Created.AddSeconds(3);
    private static readonly DateTime Finished = Started.AddSeconds(2);
    private static readonly SandboxOptions Options = new();

    /// <summary>The scenarios by name.</summary>
    public static IReadOnlyDictionary<string, StatusScenario> All { get; } = Build().ToDictionary(s => s.Name, StringComparer.Ordinal);

    private static IEnumerable<StatusScenario> Build()
    {
        var runtime = Sample<CodeRuntime>("config", "samples", "runtimes", "python.yaml");

        var hello = Execution("succeeded", "hello-python.yaml");
        var pod = SandboxPod(hello, runtime);
        yield return new("succeeded", hello,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(0, "Completed")), new Output(Utf8("hello, codeexec\n"), Utf8("python 3.12.8\n"))),
        ]);

        var error = Execution("failed-error", "hello-python.yaml");
        pod = SandboxPod(error, runtime);
        yield return new("failed-error", error,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(3, "Error")), new Output(Utf8(""), Utf8("Traceback: ValueError: é ✓ 😀 \"quoted\" \t tab\n"))),
        ]);

        // Far more output than limits.outputBytes, ended by SIGXFSZ (exit 153): both streams are cut, head and tail kept.
        var flood = Execution("failed-output-flood", "big-output.yaml");
        pod = SandboxPod(flood, runtime);
        yield return new("failed-output-flood", flood,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(153, "Error")), new Output(Lines("line {0:000000} of output\n", 100_000), Lines("warning {0} ✓\n", 5_000))),
        ]);

        var loop = Execution("timed-out", "timeout-loop.yaml");
        pod = SandboxPod(loop, runtime);
        yield return new("timed-out", loop,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(137, "Error"), reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline"),
                new Output(Lines("tick {0}\n", 20_000), Utf8(""))),
        ]);

        var oom = Execution("oom-killed", "hello-python.yaml");
        pod = SandboxPod(oom, runtime);
        yield return new("oom-killed", oom,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(137, "OOMKilled")), new Output(Binary(3000, seed: 1), Utf8("Killed\n"))),
        ]);

        var evicted = Execution("evicted", "hello-python.yaml");
        pod = SandboxPod(evicted, runtime);
        yield return new("evicted", evicted,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(137, "Error"), reason: "Evicted", message: "The node was low on resource: memory."),
                new Output(Binary(200_000, seed: 2), Binary(100, seed: 4))),
        ]);

        // Deleted by someone else while running: the collector was stopped before it printed (no record in its log).
        var deleted = Execution("pod-deleted", "hello-python.yaml");
        pod = SandboxPod(deleted, runtime);
        yield return new("pod-deleted", deleted,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod with { Pod = Deleting(pod.Pod) }, RunningStatus(), Output.NoRecord),
        ]);

        var pull = Execution("image-pull-failed", "hello-node.yaml");
        var node = Sample<CodeRuntime>("config", "samples", "runtimes", "node.yaml");
        pod = SandboxPod(pull, node);
        yield return new("image-pull-failed", pull,
        [
            PodCreated(pod),
            Final(pod, Waiting("ErrImagePull", "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/node:22-slim\""),
                new Output(Missing, Missing)),
        ]);

        var unschedulable = Execution("unschedulable", "hello-bash.yaml");
        var bash = Sample<CodeRuntime>("config", "samples", "runtimes", "bash.yaml");
        pod = SandboxPod(unschedulable, bash);
        yield return new("unschedulable", unschedulable,
        [
            PodCreated(pod),
            Final(pod, NotScheduled("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available"), Output.NoRecord),
        ]);

        var slow = Execution("start-timeout", "hello-python.yaml");
        pod = SandboxPod(slow, runtime);
        yield return new("start-timeout", slow,
        [
            PodCreated(pod),
            Final(pod, Waiting("ContainerCreating", null), Output.NoRecord, now: Created + Options.StartDeadline + TimeSpan.FromSeconds(1)),
        ]);

        var queued = Execution("queued", "hello-python.yaml");
        pod = SandboxPod(queued, runtime);
        yield return new("queued", queued,
        [
            Queued(active: 4, max: 4),
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(0, "Completed")), new Output(Utf8("hello, codeexec\n"), Utf8(""))),
        ]);

        var collectorProblems = Execution("collector-problems", "hello-python.yaml");
        pod = SandboxPod(collectorProblems, runtime);
        yield return new("collector-problems", collectorProblems,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(0, "Completed")), new Output(Replaced, Missing)),
        ]);

        var unknown = Execution("rejected-runtime", "hello-python.yaml");
        unknown.Spec.Runtime = "cobol";
        yield return new("rejected-runtime", unknown, [Rejected(null)]);

        var greedy = Execution("rejected-limits", "hello-python.yaml");
        greedy.Spec.Limits = new ExecutionLimits
        {
            TimeoutSeconds = 86_400,
            Cpu = new ResourceQuantity("64"),
            Memory = new ResourceQuantity("1Ti"),
            Processes = 32_768,
            TmpSize = new ResourceQuantity("100Gi"),
        };
        greedy.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org", "files.pythonhosted.org"] };
        greedy.Spec.Env = [new EnvVar { Name = "CODEEXEC_OUTPUT", Value = "x" }];
        yield return new("rejected-limits", greedy, [Rejected(runtime)]);

        var missingSource = Execution("rejected-code-source", "hello-python.yaml");
        missingSource.Spec.Code = null;
        missingSource.Spec.CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "no-such-configmap", Key = "main.py" } };
        yield return new("rejected-code-source", missingSource, [RejectedCodeSource(runtime)]);

        // Child creates the API server refused, each quoted by the product's ChildRefusal, and a child name taken by an
        // object that is not this execution's: the execution ends before its Pod exists.
        foreach (var (name, isPod, kind, code, body) in new[]
        {
            ("pod-rejected", true, "Pod", HttpStatusCode.Forbidden,
                """{"kind":"Status","reason":"Forbidden","message":"pods \"x-sandbox\" is forbidden: violates PodSecurity \"restricted:latest\": seccompProfile (pod or container \"code\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"}"""),
            ("quota-exceeded", true, "Pod", HttpStatusCode.Forbidden,
                """{"kind":"Status","reason":"Forbidden","message":"pods \"x-sandbox\" is forbidden: exceeded quota: sandbox-quota, requested: limits.memory=2Gi, used: limits.memory=9Gi, limited: limits.memory=10Gi"}"""),
            ("child-rejected", false, "ConfigMap", HttpStatusCode.UnprocessableEntity,
                """{"kind":"Status","reason":"Invalid","message":"ConfigMap \"x-code\" is invalid: : Too long: must have at most 1048576 bytes"}"""),
        })
        {
            var refused = Execution(name, "hello-python.yaml");
            var sandbox = SandboxPod(refused, runtime);
            var answer = new HttpOperationException
            {
                Response = new HttpResponseMessageWrapper(new HttpResponseMessage(code), body),
            };
            var refusal = ChildRefusal.From(isPod, kind, name + "-child", answer);
            yield return new(name, refused, [NotStarted(sandbox, refusal.Reason, refusal.Message)]);
        }

        var conflict = Execution("name-conflict", "hello-python.yaml");
        yield return new("name-conflict", conflict,
        [
            NotStarted(SandboxPod(conflict, runtime), ExecutionReason.NameConflict,
                "NetworkPolicy name-conflict-deny-all already exists and is not this execution's (it has no controller ownerReference to this execution): nothing of it was used and no sandbox Pod was created"),
        ]);

        // The NetworkPolicy went away while the code ran: the operator deleted the Pod and says so.
        var isolation = Execution("isolation-lost", "hello-python.yaml");
        pod = SandboxPod(isolation, runtime);
        yield return new("isolation-lost", isolation,
        [
            PodCreated(pod),
            Running(pod),
            IsolationLost("the NetworkPolicy isolation-lost-deny-all was deleted while the sandbox ran"),
        ]);

        // Output that fills the output buffer (stdout and stderr together): its further writes failed.
        var overflow = Execution("output-limit-exceeded", "big-output.yaml");
        pod = SandboxPod(overflow, runtime);
        yield return new("output-limit-exceeded", overflow,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(1, "Error")), new Output(Utf8(new string('o', 16 * 1024 * 1024)), Utf8("OSError: [Errno 28] No space left on device\n"))),
        ]);

        // The largest status: the largest spec the CRD takes next to both streams at the maximum limits.outputBytes,
        // stdout binary (base64, 4/3 larger) and exactly at the limit, stderr multi-byte text far over it.
        var largest = Execution("maximum-size", "hello-python.yaml");
        largest.Spec.Code = "# " + new string('x', ApiConstants.MaxInlineCodeBytes - 3) + "\n";
        largest.Spec.Stdin = new string('s', ApiConstants.MaxStdinBytes);
        largest.Spec.Args = [.. Enumerable.Range(0, ApiConstants.MaxArgs).Select(i => i + new string('a', 1000))];
        largest.Spec.Env = [.. Enumerable.Range(0, ApiConstants.MaxEnv).Select(i => new EnvVar { Name = $"VAR_{i:00}", Value = new string('v', 1024) })];
        largest.Spec.Files = [.. Enumerable.Range(0, ApiConstants.MaxFiles).Select(i => new InputFile { Name = $"input-{i}.txt", Content = new string('f', ApiConstants.MaxFileBytes) })];
        largest.Spec.Limits = new ExecutionLimits { TimeoutSeconds = 600, OutputBytes = ApiConstants.MaxOutputBytes };
        pod = SandboxPod(largest, runtime);
        yield return new("maximum-size", largest,
        [
            PodCreated(pod),
            Running(pod),
            Final(pod, Ended(Terminated(1, "Error")), new Output(Binary(ApiConstants.MaxOutputBytes, seed: 3), Lines("é✓😀 {0}\n", 200_000))),
        ]);
    }

    private static StreamFile Missing => new(null);

    private static StreamFile Replaced => new(null, Symlink: true);

    private static StreamFile Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    private static StreamFile Lines(string format, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, format, i);
        }

        return Utf8(text.ToString());
    }

    private static StreamFile Binary(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0xFF; // never valid UTF-8
        return new(bytes);
    }

    private static T Sample<T>(params string[] path) =>
        KubernetesYaml.Deserialize<T>(File.ReadAllText(Path.Combine([RepositoryRoot.Find(), .. path])));

    private static CodeExecution Execution(string name, string sample)
    {
        var execution = Sample<CodeExecution>("config", "samples", sample);
        execution.Metadata.Name = name;
        execution.Metadata.NamespaceProperty = Namespace;
        return execution;
    }

    private static Rendered SandboxPod(CodeExecution execution, CodeRuntime runtime)
    {
        var admission = Admission.Admit(execution, runtime, Options);
        Assert.True(admission.IsAdmitted, admission.Message);
        var request = new SandboxRequest(execution, runtime, admission.Limits!, ResolvedCode.FromInline(execution)!, admission.Egress);
        var pod = SandboxRenderer.Pod(request, Options);
        pod.Metadata.CreationTimestamp = Created;
        pod.Metadata.Uid = Guid.NewGuid().ToString();
        return new Rendered(pod, request);
    }

    /// <summary>A rendered sandbox Pod and the request it came from (what the reconciler holds when it creates it).</summary>
    private sealed record Rendered(V1Pod Pod, SandboxRequest Request);

    private static FakeTimeProvider Clock(DateTime now) => new(new DateTimeOffset(now));

    private static V1Pod WithStatus(V1Pod pod, V1PodStatus status)
    {
        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
        copy.Status = status;
        return copy;
    }

    private static V1Pod Deleting(V1Pod pod)
    {
        var copy = WithStatus(pod, pod.Status ?? new V1PodStatus());
        copy.Metadata.DeletionTimestamp = Finished.AddSeconds(30);
        copy.Metadata.DeletionGracePeriodSeconds = 30;
        return copy;
    }

    private static V1PodCondition Scheduled => new() { Type = "PodScheduled", Status = "True" };

    private static V1PodStatus RunningStatus() => new()
    {
        Phase = "Running",
        StartTime = Created.AddSeconds(1),
        Conditions = [Scheduled],
        ContainerStatuses = [new V1ContainerStatus { Name = SandboxRenderer.CodeContainerName, Image = "python:3.12-slim", State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Started } } }],
    };

    private static V1ContainerState Terminated(int exitCode, string reason) =>
        new() { Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Reason = reason, StartedAt = Started, FinishedAt = Finished } };

    private static V1PodStatus Ended(V1ContainerState code, string? reason = null, string? message = null) => new()
    {
        Phase = code.Terminated?.ExitCode == 0 && reason is null ? "Succeeded" : "Failed",
        Reason = reason,
        Message = message,
        StartTime = Created.AddSeconds(1),
        Conditions = [Scheduled],
        ContainerStatuses = [new V1ContainerStatus { Name = SandboxRenderer.CodeContainerName, Image = "python:3.12-slim", State = code }],
    };

    private static V1PodStatus Waiting(string reason, string? message) => new()
    {
        Phase = "Pending",
        Conditions = [Scheduled],
        ContainerStatuses = [new V1ContainerStatus { Name = SandboxRenderer.CodeContainerName, Image = "node:22-slim", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } } }],
    };

    private static V1PodStatus NotScheduled(string message) => new()
    {
        Phase = "Pending",
        Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = message }],
    };

    // The reconciler's steps, with the product's functions.

    private static Func<CodeExecution, CodeExecutionStatus> PodCreated(Rendered sandbox) => execution =>
        FinalStatusBuilder.PodCreated(execution, SandboxRun.From(sandbox.Request), Guid.NewGuid().ToString(), Guid.NewGuid().ToString(),
            sandbox.Pod.Metadata.Uid, Clock(Created.AddSeconds(1)));

    private static Func<CodeExecution, CodeExecutionStatus> Queued(int active, int max) => execution =>
        FinalStatusBuilder.InProgress(execution, ExecutionPhase.Queued, ExecutionReason.QuotaExceeded,
            $"waiting for a free sandbox: namespace {Namespace} has {active} active of at most {max}", null, null, Clock(Created));

    private static Func<CodeExecution, CodeExecutionStatus> Running(Rendered sandbox) => execution =>
    {
        var running = WithStatus(sandbox.Pod, RunningStatus());
        var now = Started.AddMilliseconds(250);
        var observation = PodOutcome.Observe(running, new DateTimeOffset(now), Options.StartDeadline);
        Assert.Equal(PodProgress.Running, observation.Progress);
        return FinalStatusBuilder.InProgress(execution, ExecutionPhase.Running, null, observation.Message, SandboxRun.FromStatus(execution, Options), observation, Clock(now));
    };

    private static Func<CodeExecution, CodeExecutionStatus> Final(Rendered sandbox, V1PodStatus status, Output output, DateTime? now = null) => execution =>
    {
        var ended = WithStatus(sandbox.Pod, status);
        var at = now ?? Finished.AddMilliseconds(1500);
        var observation = PodOutcome.Observe(ended, new DateTimeOffset(at), Options.StartDeadline);
        Assert.True(observation.IsFinished, $"{execution.Metadata.Name}: {observation}");
        var run = SandboxRun.FromStatus(execution, Options);
        var collected = OutputDecoder.Decode(output.CollectorLog(run.OutputBytes), run.OutputBytes, out var outputError);
        return FinalStatusBuilder.Final(execution, observation, collected, outputError, run, Clock(at));
    };

    private static Func<CodeExecution, CodeExecutionStatus> NotStarted(Rendered sandbox, string reason, string message) => execution =>
        FinalStatusBuilder.NotStarted(execution, reason, message, SandboxRun.From(sandbox.Request), Clock(Created.AddSeconds(1)));

    /// <summary>What the reconciler writes when it stopped a running sandbox whose isolation it can no longer vouch for.</summary>
    private static Func<CodeExecution, CodeExecutionStatus> IsolationLost(string problem) => execution =>
    {
        var at = Started.AddSeconds(2);
        var lost = new PodObservation(PodProgress.Finished, ExecutionPhase.Failed, ExecutionReason.IsolationLost,
            problem + "; the operator deleted the sandbox Pod", null, Started, at);
        return FinalStatusBuilder.Final(execution, lost, null, "the sandbox was stopped because its isolation was lost",
            SandboxRun.FromStatus(execution, Options), Clock(at));
    };

    private static Func<CodeExecution, CodeExecutionStatus> Rejected(CodeRuntime? runtime) => execution =>
    {
        var admission = Admission.Admit(execution, runtime, Options);
        Assert.False(admission.IsAdmitted);
        return FinalStatusBuilder.Rejected(execution, admission, Clock(Created.AddSeconds(1)));
    };

    private static Func<CodeExecution, CodeExecutionStatus> RejectedCodeSource(CodeRuntime runtime) => execution =>
    {
        var admission = Admission.Admit(execution, runtime, Options);
        Assert.True(admission.IsAdmitted, admission.Message);
        Assert.Null(ResolvedCode.FromReference(execution, null, null, out var problem));
        return FinalStatusBuilder.Rejected(execution, AdmissionResult.Rejected([problem!], admission.RuntimeName), Clock(Created.AddSeconds(1)));
    };

    /// <summary>One stream file as the program left it: its bytes, absent (null), or replaced by a symbolic link.</summary>
    internal sealed record StreamFile(byte[]? Bytes, bool Symlink = false);

    /// <summary>The two stream files; <see cref="CollectorLog"/> is what the collector prints for them.</summary>
    internal sealed record Output(StreamFile? Stdout, StreamFile? Stderr)
    {
        /// <summary>A collector log with no record (the collector was stopped before it printed).</summary>
        public static Output NoRecord { get; } = new(null, null);

        public string CollectorLog(int limitBytes)
        {
            if (Stdout is null || Stderr is null)
            {
                return "";
            }

            var directory = Directory.CreateTempSubdirectory("status-shapes-");
            try
            {
                var stdout = Capture(directory.FullName, "stdout", Stdout, limitBytes);
                var stderr = Capture(directory.FullName, "stderr", Stderr, limitBytes);
                using var log = new StringWriter();
                OutputRecord.Write(log, stdout, stderr);
                return log.ToString();
            }
            finally
            {
                directory.Delete(recursive: true);
            }
        }

        private static CapturedStream Capture(string directory, string name, StreamFile file, int limitBytes)
        {
            var path = Path.Combine(directory, name);
            if (file.Symlink)
            {
                File.CreateSymbolicLink(path, "/etc/passwd");
            }
            else if (file.Bytes is { } bytes)
            {
                File.WriteAllBytes(path, bytes);
            }

            return CollectCommand.Capture(path, limitBytes);
        }
    }
}
