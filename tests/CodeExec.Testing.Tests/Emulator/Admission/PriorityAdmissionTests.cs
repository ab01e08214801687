using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>plugin/pkg/admission/priority (admitPod).</summary>
public sealed class PriorityAdmissionTests : AdmissionTest
{
    private Task CreateClassAsync(string name, int value, bool globalDefault = false, string? preemptionPolicy = null) =>
        Client.CreatePriorityClassAsync(new V1PriorityClass
        {
            Metadata = new V1ObjectMeta { Name = name },
            Value = value,
            GlobalDefault = globalDefault,
            PreemptionPolicy = preemptionPolicy,
        }, cancellationToken: Ct);

    [Fact]
    public async Task The_system_priority_classes_exist()
    {
        Assert.Equal(2_000_001_000, (await Client.ReadPriorityClassAsync("system-node-critical", cancellationToken: Ct)).Value);
        Assert.Equal(2_000_000_000, (await Client.ReadPriorityClassAsync("system-cluster-critical", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task admitPod_refuses_an_unknown_PriorityClass()
    {
        var pod = Pod("p");
        pod.Spec.PriorityClassName = "gold";

        Assert.Equal("pods \"p\" is forbidden: no PriorityClass with name gold was found", await PodForbiddenAsync(pod));
    }

    [Fact]
    public async Task admitPod_sets_priority_and_preemption_policy_from_the_class()
    {
        await CreateClassAsync("codeexec-sandbox", 1000, preemptionPolicy: "Never");
        await CreateClassAsync("batch", 10);
        var pod = Pod("p");
        pod.Spec.PriorityClassName = "codeexec-sandbox";
        var batch = Pod("b");
        batch.Spec.PriorityClassName = "batch";

        var created = await CreateAsync(pod);
        var createdBatch = await CreateAsync(batch);

        Assert.Equal((1000, "Never"), (created.Spec.Priority, created.Spec.PreemptionPolicy));
        Assert.Equal((10, "PreemptLowerPriority"), (createdBatch.Spec.Priority, createdBatch.Spec.PreemptionPolicy));
    }

    [Fact]
    public async Task admitPod_uses_the_global_default_class_or_priority_zero()
    {
        var plain = await CreateAsync(Pod("before"));
        Assert.Equal(0, plain.Spec.Priority);
        Assert.Null(plain.Spec.PriorityClassName);

        await CreateClassAsync("normal", 100, globalDefault: true);
        var defaulted = await CreateAsync(Pod("after"));

        Assert.Equal(("normal", 100), (defaulted.Spec.PriorityClassName, defaulted.Spec.Priority));
    }

    [Fact]
    public async Task admitPod_refuses_a_priority_that_differs_from_the_class()
    {
        await CreateClassAsync("batch", 10);
        var pod = Pod("p");
        pod.Spec.PriorityClassName = "batch";
        pod.Spec.Priority = 5;

        Assert.Equal(
            "pods \"p\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 10 from the given PriorityClass name",
            await PodForbiddenAsync(pod));
    }
}
