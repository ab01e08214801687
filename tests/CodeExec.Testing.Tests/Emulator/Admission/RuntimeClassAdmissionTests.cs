using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>plugin/pkg/admission/runtimeclass: existence, overhead (setOverhead, validateOverhead), scheduling (setScheduling).</summary>
public sealed class RuntimeClassAdmissionTests : AdmissionTest
{
    private Task CreateClassAsync(string name, Dictionary<string, string>? overhead = null, V1Scheduling? scheduling = null) =>
        Client.CreateRuntimeClassAsync(new V1RuntimeClass
        {
            Metadata = new V1ObjectMeta { Name = name },
            Handler = "runsc",
            Overhead = overhead is null ? null : new V1Overhead { PodFixed = overhead.ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value)) },
            Scheduling = scheduling,
        }, cancellationToken: Ct);

    [Fact]
    public async Task Admit_refuses_an_unknown_RuntimeClass()
    {
        var pod = Pod("p");
        pod.Spec.RuntimeClassName = "kata";

        Assert.Equal("pods \"p\" is forbidden: pod rejected: RuntimeClass \"kata\" not found", await PodForbiddenAsync(pod));
    }

    [Fact]
    public async Task Admit_names_the_generateName_while_the_name_is_not_generated_yet()
    {
        var pod = Pod("ignored");
        pod.Metadata = new V1ObjectMeta { GenerateName = "job-" };
        pod.Spec.RuntimeClassName = "kata";

        Assert.Equal("pods \"job-\" is forbidden: pod rejected: RuntimeClass \"kata\" not found", await PodForbiddenAsync(pod));
    }

    [Fact]
    public async Task setOverhead_copies_podFixed_into_the_pod()
    {
        await CreateClassAsync("gvisor", new() { ["cpu"] = "100m", ["memory"] = "64Mi" });
        var pod = Pod("p");
        pod.Spec.RuntimeClassName = "gvisor";

        var created = await CreateAsync(pod);

        Assert.Equal("100m", created.Spec.Overhead["cpu"].ToString());
        Assert.Equal("64Mi", created.Spec.Overhead["memory"].ToString());
    }

    [Fact]
    public async Task setOverhead_refuses_a_pod_with_another_overhead()
    {
        await CreateClassAsync("gvisor", new() { ["memory"] = "64Mi" });
        var pod = Pod("p");
        pod.Spec.RuntimeClassName = "gvisor";
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Mi") };

        Assert.Equal("pods \"p\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead", await PodForbiddenAsync(pod));
    }

    [Fact]
    public async Task validateOverhead_refuses_an_overhead_without_a_RuntimeClass_that_defines_one()
    {
        await CreateClassAsync("gvisor");
        var pod = Pod("p");
        pod.Spec.RuntimeClassName = "gvisor";
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Mi") };

        Assert.Equal("pods \"p\" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead", await PodForbiddenAsync(pod));
    }

    [Fact]
    public async Task setScheduling_merges_the_node_selector_and_tolerations()
    {
        var toleration = new V1Toleration { Key = "sandbox", OperatorProperty = "Exists", Effect = "NoSchedule" };
        await CreateClassAsync("gvisor", scheduling: new V1Scheduling
        {
            NodeSelector = new Dictionary<string, string> { ["runtime"] = "gvisor" },
            Tolerations = [toleration],
        });
        var pod = Pod("p");
        pod.Spec.RuntimeClassName = "gvisor";
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["zone"] = "a" };

        var created = await CreateAsync(pod);

        Assert.Equal(new Dictionary<string, string> { ["runtime"] = "gvisor", ["zone"] = "a" }, created.Spec.NodeSelector);
        Assert.Contains(created.Spec.Tolerations, t => t.Key == "sandbox" && t.Effect == "NoSchedule");

        var conflicting = Pod("q");
        conflicting.Spec.RuntimeClassName = "gvisor";
        conflicting.Spec.NodeSelector = new Dictionary<string, string> { ["runtime"] = "runc" };
        Assert.Equal("pods \"q\" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[runtime] = gvisor; pod.spec.nodeSelector[runtime] = runc",
            await PodForbiddenAsync(conflicting));
    }
}
