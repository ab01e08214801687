using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
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
        Assert.Equal("python", execution.Spec.Runtime);
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

    /// <summary>A spec with every field set, its payload (code, stdin, args, env, files) about <paramref name="payloadBytes"/> each.</summary>
    private static CodeExecution WithFullSpec(string? phase, int payloadBytes, bool secretCode = false)
    {
        var execution = FinishedExecution(10);
        execution.Status!.Phase = phase;
        execution.Spec = new CodeExecutionSpec
        {
            Runtime = "python",
            Code = secretCode ? null : new string('c', payloadBytes),
            CodeFrom = secretCode ? new CodeSource { SecretKeyRef = new KeyReference { Name = "code", Key = "main.py" } } : null,
            Stdin = new string('i', payloadBytes),
            Args = [new string('a', payloadBytes)],
            Env = [new EnvVar { Name = "TOKEN", Value = new string('v', payloadBytes) }],
            Files = [new InputFile { Name = "data.txt", Content = new string('f', payloadBytes) }],
            Limits = new ExecutionLimits { TimeoutSeconds = 30, Memory = new ResourceQuantity("256Mi"), OutputBytes = 4096 },
            Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org"] },
            TtlSecondsAfterFinished = 600,
        };
        return execution;
    }

    public static TheoryData<string> FinalPhases() => [.. ExecutionPhase.All.Where(ExecutionPhase.IsFinal)];

    public static TheoryData<string?> ActivePhases() => new(ExecutionPhase.All.Where(p => !ExecutionPhase.IsFinal(p)).Prepend(null).ToArray());

    [Theory]
    [MemberData(nameof(FinalPhases))]
    public void A_finished_CodeExecution_drops_its_spec_payload_and_keeps_what_clean_up_and_TTL_read(string phase)
    {
        foreach (var secretCode in new[] { false, true })
        {
            var execution = WithFullSpec(phase, 1000, secretCode);
            var networkPolicy = SandboxNames.NetworkPolicy(execution);
            var codeObject = SandboxNames.Code(execution);
            var codeKind = ResolvedCode.KindOf(execution);

            CacheTrimming.TrimCodeExecution(execution);

            var spec = execution.Spec;
            Assert.Null(spec.Code);
            Assert.Null(spec.Stdin);
            Assert.Null(spec.Args);
            Assert.Null(spec.Env);
            Assert.Null(spec.Files);
            Assert.Equal("python", spec.Runtime);
            Assert.Equal(600, spec.TtlSecondsAfterFinished);
            Assert.Equal(30, spec.Limits?.TimeoutSeconds);
            Assert.Equal(4096, spec.Limits?.OutputBytes);
            Assert.Equal(["pypi.org"], spec.Network?.AllowedHosts ?? []);
            Assert.Equal(secretCode ? "code" : null, spec.CodeFrom?.SecretKeyRef?.Name);
            Assert.Equal(networkPolicy, SandboxNames.NetworkPolicy(execution));
            Assert.Equal(codeObject, SandboxNames.Code(execution));
            Assert.Equal(codeKind, ResolvedCode.KindOf(execution));
            Assert.Equal(phase, execution.Status!.Phase);
            Assert.Equal("hello-abc", execution.Status.PodName);
            Assert.Equal("uid-1", execution.Metadata.Uid);
        }
    }

    [Theory]
    [MemberData(nameof(ActivePhases))]
    public void An_active_CodeExecution_keeps_its_whole_spec(string? phase)
    {
        var execution = WithFullSpec(phase, 1000);
        var before = KubernetesJson.Serialize(execution.Spec);

        CacheTrimming.TrimCodeExecution(execution);

        Assert.Equal(before, KubernetesJson.Serialize(execution.Spec));
        Assert.Null(execution.Status!.Stdout);
    }

    [Fact]
    public void The_cached_size_of_a_finished_CodeExecution_does_not_depend_on_the_size_of_its_code_and_inputs()
    {
        var small = WithFullSpec(ExecutionPhase.Failed, 10);
        var large = WithFullSpec(ExecutionPhase.Failed, 100_000);
        Assert.True(Encoding.UTF8.GetByteCount(KubernetesJson.Serialize(large)) > 500_000);

        CacheTrimming.TrimCodeExecution(small);
        CacheTrimming.TrimCodeExecution(large);

        Assert.Equal(KubernetesJson.Serialize(small), KubernetesJson.Serialize(large));
    }
}
