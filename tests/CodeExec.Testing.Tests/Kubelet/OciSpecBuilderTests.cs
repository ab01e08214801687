using System.Text.Json.Nodes;
using CodeExec.Testing.Kubelet;
using CodeExec.Testing.Kubelet.GVisor;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

public sealed class OciSpecBuilderTests
{
    private static JsonObject BuildCode(V1Pod pod, long? pids = 128)
    {
        var bindings = new Dictionary<string, VolumeBinding>
        {
            ["code"] = new VolumeBinding.HostFolder("/h/code"),
            ["tmp"] = new VolumeBinding.SandboxTmpfs("/h/tmp", 16 * 1024 * 1024),
            ["output"] = new VolumeBinding.HostFolder("/h/output"),
        };
        return OciSpecBuilder.Build(pod, pod.Spec.Containers[0], bindings, ["/usr", "/etc"], "/r/rootfs", "/p/id", pids);
    }

    [Fact]
    public void Sandbox_pod_maps_to_a_hardened_spec()
    {
        var (pod, _) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);

        var spec = BuildCode(pod);

        var process = spec["process"]!;
        Assert.Equal(65532, process["user"]!["uid"]!.GetValue<long>());
        Assert.Equal(65532, process["user"]!["gid"]!.GetValue<long>());
        Assert.Equal([65532L], process["user"]!["additionalGids"]!.AsArray().Select(g => g!.GetValue<long>()));
        Assert.Empty(process["capabilities"]!["bounding"]!.AsArray());
        Assert.Empty(process["capabilities"]!["effective"]!.AsArray());
        Assert.True(process["noNewPrivileges"]!.GetValue<bool>());
        Assert.Equal("/code", process["cwd"]!.GetValue<string>());
        Assert.Equal("/code/main.py", process["args"]!.AsArray()[^1]!.GetValue<string>());
        Assert.Contains("HOME=/tmp", process["env"]!.AsArray().Select(e => e!.GetValue<string>()));
        var nproc = process["rlimits"]!.AsArray().Single()!;
        Assert.Equal("RLIMIT_NPROC", nproc["type"]!.GetValue<string>());
        Assert.Equal(128, nproc["hard"]!.GetValue<long>());
        Assert.True(spec["root"]!["readonly"]!.GetValue<bool>());
        Assert.Equal("/p/id", spec["linux"]!["cgroupsPath"]!.GetValue<string>());
        Assert.Contains("network", spec["linux"]!["namespaces"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()));
    }

    [Fact]
    public void Volumes_become_read_only_binds_and_sandbox_tmpfs_named_by_their_source()
    {
        var (pod, _) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);

        var mounts = BuildCode(pod)["mounts"]!.AsArray().ToDictionary(m => m!["destination"]!.GetValue<string>(), m => m!);

        Assert.Equal(["rbind", "ro"], Options(mounts["/code"]));
        Assert.Equal("/h/code", mounts["/code"]["source"]!.GetValue<string>());
        Assert.Equal(["rbind", "rw"], Options(mounts["/codeexec/out"]));
        Assert.Equal("tmpfs", mounts["/tmp"]["type"]!.GetValue<string>());
        Assert.Equal("/h/tmp", mounts["/tmp"]["source"]!.GetValue<string>());
        Assert.DoesNotContain("rbind", Options(mounts["/tmp"]));
        Assert.Equal(["rbind", "ro"], Options(mounts["/usr"]));
        Assert.Equal(["rbind", "ro"], Options(mounts["/etc"]));
    }

    [Fact]
    public void Memory_and_cpu_limits_become_cgroup_limits()
    {
        var container = TestPods.Container("c", "x");
        container.Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi"), ["cpu"] = new("500m") },
        };

        var limits = OciSpecBuilder.Limits(container);

        Assert.Equal(64 * 1024 * 1024, limits.MemoryBytes);
        Assert.Equal(500, limits.CpuMillis);
    }

    [Fact]
    public void Pod_limits_are_the_larger_of_running_and_init_peaks_plus_overhead_and_only_when_every_container_has_one()
    {
        static V1Container With(string name, string memory, string cpu, bool sidecar = false)
        {
            var container = TestPods.Container(name, "x");
            container.RestartPolicy = sidecar ? "Always" : null;
            container.Resources = new V1ResourceRequirements
            {
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memory), ["cpu"] = new(cpu) },
            };
            return container;
        }

        var pod = TestPods.Simple("p", With("main", "64Mi", "500m"));
        pod.Spec.InitContainers = [With("sidecar", "32Mi", "100m", sidecar: true), With("setup", "256Mi", "100m")];
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["memory"] = new("16Mi"), ["cpu"] = new("250m") };

        var limits = PodResources.Limits(pod);

        // memory: max(64 + 32, 32 + 256) + 16 MiB; cpu: max(500 + 100, 100 + 100) + 250 m.
        Assert.Equal((288L + 16) << 20, limits.MemoryBytes);
        Assert.Equal(850, limits.CpuMillis);

        pod.Spec.Containers[0].Resources.Limits.Remove("memory");
        Assert.Null(PodResources.Limits(pod).MemoryBytes);
    }

    [Theory]
    [InlineData("privileged")]
    [InlineData("readOnlyRootFilesystem")]
    [InlineData("probes")]
    [InlineData("resources.limits.nvidia.com/gpu")]
    public void Fields_it_cannot_honour_are_refused_by_name(string field)
    {
        var (pod, _) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);
        var code = pod.Spec.Containers[0];
        switch (field)
        {
            case "privileged":
                code.SecurityContext.Privileged = true;
                break;
            case "readOnlyRootFilesystem":
                code.SecurityContext.ReadOnlyRootFilesystem = false;
                break;
            case "probes":
                code.LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["true"] } };
                break;
            default:
                code.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("1") } };
                break;
        }

        var error = Assert.Throws<UnsupportedPodException>(() => BuildCode(pod));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_user_with_runAsNonRoot_is_refused()
    {
        var (pod, _) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);
        pod.Spec.SecurityContext.RunAsUser = null;

        var error = Assert.Throws<UnsupportedPodException>(() => BuildCode(pod));

        Assert.Contains("runAsNonRoot", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_network_is_refused_for_the_pod()
    {
        var (pod, _) = TestPods.Sandbox("cx", "main.py", "", ["python3"]);
        pod.Spec.HostNetwork = true;

        var error = Assert.Throws<UnsupportedPodException>(() => OciSpecBuilder.ValidatePod(pod));

        Assert.Contains("hostNetwork", error.Message, StringComparison.Ordinal);
    }

    private static string[] Options(JsonNode mount) => [.. mount["options"]!.AsArray().Select(o => o!.GetValue<string>())];
}
