using System.Diagnostics.Metrics;
using CodeExec.Api;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Controller.Fakes;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

public sealed class ExecutionMetricsTests
{
    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    [Fact]
    public void Each_stage_reached_is_measured_from_the_creation_timestamp()
    {
        var execution = Execution(
            Condition("Admitted", "True", 1), Condition("PodCreated", "True", 2), Condition("Started", "True", 6), Condition("Finished", "True", 9));
        var pod = new V1Pod
        {
            Status = new V1PodStatus
            {
                Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = Created.AddSeconds(3) }],
                ContainerStatuses =
                [
                    new V1ContainerStatus { Name = SandboxRenderer.CollectorContainerName, State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Created } } },
                    new V1ContainerStatus
                    {
                        Name = SandboxRenderer.CodeContainerName,
                        State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { StartedAt = Created.AddSeconds(5), FinishedAt = Created.AddSeconds(8) } },
                    },
                ],
            },
        };

        var stages = ExecutionMetrics.StageDurations(execution, pod).ToList();

        Assert.Equal([("admitted", 1.0), ("pod_created", 2.0), ("scheduled", 3.0), ("code_started", 5.0), ("code_finished", 8.0), ("status_written", 9.0)], stages);
    }

    [Fact]
    public void Stages_not_reached_are_left_out()
    {
        // Failed before its Pod was created: PodCreated False, no Pod.
        var execution = Execution(Condition("Admitted", "True", 1), Condition("PodCreated", "False", 2), Condition("Finished", "True", 2));

        var stages = ExecutionMetrics.StageDurations(execution, null).ToList();

        Assert.Equal([("admitted", 1.0), ("status_written", 2.0)], stages);
    }

    [Fact]
    public void The_runtime_label_is_a_CodeRuntime_that_exists_never_what_a_user_wrote()
    {
        var factory = TestMeters.Factory();
        var tags = new List<Dictionary<string, object?>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "codeexec.executions.finished")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, t, _) => tags.Add(t.ToArray().ToDictionary(p => p.Key, p => p.Value)));
        listener.Start();
        var runtimes = new ObjectCache<CodeRuntime>();
        runtimes.Upsert(new CodeRuntime { Metadata = new V1ObjectMeta { Name = "python" }, Spec = new CodeRuntimeSpec() });
        var metrics = new ExecutionMetrics(factory, runtimes);

        metrics.ExecutionFinished(Execution("python", ExecutionPhase.Succeeded, ExecutionReason.Completed), null);
        metrics.ExecutionFinished(Execution("x-" + Guid.NewGuid(), ExecutionPhase.Rejected, ExecutionReason.Rejected), null);

        Assert.Equal(
            [
                new Dictionary<string, object?> { ["runtime"] = "python", ["phase"] = "Succeeded", ["reason"] = "Completed" },
                new Dictionary<string, object?> { ["runtime"] = "", ["phase"] = "Rejected", ["reason"] = "Rejected" },
            ],
            tags);
    }

    private static CodeExecution Execution(string runtime, string phase, string reason) => new()
    {
        Metadata = new V1ObjectMeta { Name = "e", NamespaceProperty = "default", CreationTimestamp = Created },
        Spec = new CodeExecutionSpec { Runtime = runtime },
        Status = new CodeExecutionStatus { Phase = phase, Reason = reason },
    };

    private static CodeExecution Execution(params V1Condition[] conditions) => new()
    {
        Metadata = new V1ObjectMeta { Name = "e", NamespaceProperty = "default", CreationTimestamp = Created },
        Spec = new CodeExecutionSpec(),
        Status = new CodeExecutionStatus { Conditions = conditions },
    };

    private static V1Condition Condition(string type, string status, int seconds) =>
        new() { Type = type, Status = status, LastTransitionTime = Created.AddSeconds(seconds), Reason = type, Message = "" };
}
