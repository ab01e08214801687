using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Controller.Caching;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Caching;

public sealed class CacheTrimmingTests
{
    private static CodeExecution FinishedExecution(int outputBytes) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "hello",
            NamespaceProperty = "team-a",
            Uid = "uid-1",
            Generation = 1,
            ResourceVersion = "42",
            Labels = new Dictionary<string, string> { ["team"] = "a" },
            Annotations = new Dictionary<string, string>
            {
                [CacheTrimming.LastAppliedAnnotation] = new string('x', outputBytes),
                ["note"] = "kept",
            },
            ManagedFields = [new V1ManagedFieldsEntry { Manager = "codeexec-operator", Operation = "Update" }],
        },
        Spec = new CodeExecutionSpec { Runtime = "python", Code = "print('hi')" },
        Status = new CodeExecutionStatus
        {
            Phase = ExecutionPhase.Succeeded,
            ExitCode = 0,
            Reason = ExecutionReason.Completed,
            Stdout = new string('o', outputBytes),
            Stderr = new string('e', outputBytes),
            StdoutBytes = 300_000,
            StdoutTruncated = true,
            PodName = "hello-abc",
            ObservedGeneration = 1,
        },
    };

    [Fact]
    public void A_CodeExecution_loses_its_outputs_and_managed_fields_and_keeps_what_reconcile_reads()
    {
        var execution = FinishedExecution(200_000);

        CacheTrimming.TrimCodeExecution(execution);

        Assert.Null(execution.Status!.Stdout);
        Assert.Null(execution.Status.Stderr);
        Assert.Null(execution.Metadata.ManagedFields);
        Assert.False(execution.Metadata.Annotations.ContainsKey(CacheTrimming.LastAppliedAnnotation));
        Assert.Equal("kept", execution.Metadata.Annotations["note"]);
        Assert.Equal(ExecutionPhase.Succeeded, execution.Status.Phase);
        Assert.Equal(0, execution.Status.ExitCode);
        Assert.Equal(300_000, execution.Status.StdoutBytes);
        Assert.True(execution.Status.StdoutTruncated);
        Assert.Equal("hello-abc", execution.Status.PodName);
        Assert.Equal("print('hi')", execution.Spec.Code);
        Assert.Equal("uid-1", execution.Metadata.Uid);
        Assert.Equal("a", execution.Metadata.Labels["team"]);
    }

    [Fact]
    public void The_cached_size_of_a_CodeExecution_does_not_depend_on_the_size_of_its_outputs()
    {
        var small = FinishedExecution(10);
        var large = FinishedExecution(250_000);
        Assert.True(Encoding.UTF8.GetByteCount(KubernetesJson.Serialize(large)) > 700_000);

        CacheTrimming.TrimCodeExecution(small);
        CacheTrimming.TrimCodeExecution(large);

        Assert.Equal(KubernetesJson.Serialize(small).Length, KubernetesJson.Serialize(large).Length);
    }

    [Fact]
    public void An_annotation_map_left_empty_is_dropped_and_objects_without_status_are_fine()
    {
        var execution = new CodeExecution
        {
            Metadata = new V1ObjectMeta
            {
                Name = "x",
                Annotations = new Dictionary<string, string> { [CacheTrimming.LastAppliedAnnotation] = "{}" },
            },
        };

        CacheTrimming.TrimCodeExecution(execution);

        Assert.Null(execution.Metadata.Annotations);
        Assert.Null(execution.Status);
    }
}
