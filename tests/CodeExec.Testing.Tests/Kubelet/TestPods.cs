using CodeExec.Testing.Kubelet;
using k8s.Models;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>Pods for the kubelet tests, including the shape of the operator's sandbox pod (pod-contract.md).</summary>
internal static class TestPods
{
    public static V1Pod Simple(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new V1PodSpec { RestartPolicy = "Never", Containers = containers, TerminationGracePeriodSeconds = 2 },
    };

    public static V1Container Container(string name, params string[] command) => new()
    {
        Name = name,
        Image = "debian:bookworm",
        Command = command,
        SecurityContext = Hardened(),
    };

    public static V1SecurityContext Hardened() => new()
    {
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Privileged = false,
        RunAsNonRoot = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    /// <summary>
    /// The sandbox pod of pod-contract.md: a code ConfigMap at /code, tmp and output emptyDirs, the code container
    /// running the sh wrapper, and a collector sidecar that prints the code's stdout on SIGTERM (a stand-in for
    /// the operator's collector, whose framed format is not this library's business).
    /// </summary>
    public static (V1Pod Pod, V1ConfigMap Code) Sandbox(string name, string fileName, string code, string[] runtimeCommand, string? memoryLimit = null)
    {
        var configMap = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = name + "-code", NamespaceProperty = "default" },
            Data = new Dictionary<string, string> { ["code"] = code },
        };
        const string Wrapper = "exec \"$@\" </dev/null >/codeexec/out/stdout 2>/codeexec/out/stderr";
        var codeContainer = Container("code", ["/bin/sh", "-c", Wrapper, "codeexec", .. runtimeCommand, "/code/" + fileName]);
        codeContainer.WorkingDir = "/code";
        codeContainer.Env = [new V1EnvVar { Name = "HOME", Value = "/tmp" }];
        codeContainer.VolumeMounts =
        [
            Mount("code", "/code", readOnly: true),
            Mount("tmp", "/tmp"),
            Mount("output", "/codeexec/out"),
        ];
        if (memoryLimit is not null)
        {
            var quantity = new ResourceQuantity(memoryLimit);
            codeContainer.Resources = new V1ResourceRequirements
            {
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = quantity },
                Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = quantity },
            };
        }

        // PID 1 drops a SIGTERM it has no handler for: the collector says when its trap is in place, and its startup
        // probe holds the code back until then (otherwise a fast program ends before the trap exists).
        var collector = Container("collector", "/bin/sh", "-c",
            "trap 'echo \"== stdout\"; cat /codeexec/out/stdout; echo \"== stderr\"; cat /codeexec/out/stderr; exit 0' TERM; echo > /ready/trap; while :; do sleep 0.1; done");
        collector.RestartPolicy = "Always";
        collector.SecurityContext.RunAsUser = 65533;
        collector.VolumeMounts = [Mount("output", "/codeexec/out", readOnly: true), Mount("collector-ready", "/ready")];
        collector.StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", "test -e /ready/trap"] }, PeriodSeconds = 1, FailureThreshold = 60 };

        var pod = Simple(name + "-sandbox", codeContainer);
        pod.Spec.InitContainers = [collector];
        pod.Spec.SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = 65532,
            RunAsGroup = 65532,
            FsGroup = 65532,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        };
        pod.Spec.Volumes =
        [
            new V1Volume { Name = "code", ConfigMap = new V1ConfigMapVolumeSource { Name = configMap.Metadata.Name, DefaultMode = 292, Items = [new V1KeyToPath { Key = "code", Path = fileName }] } },
            EmptyDir("tmp"),
            EmptyDir("output"),
            EmptyDir("collector-ready", "1Mi"),
        ];
        return (pod, configMap);
    }

    public static PodRunRequest Request(V1Pod pod) => new(pod);

    /// <summary>
    /// A pod whose sidecar becomes ready (touches /shared/ready) only after a second, with an exec startupProbe on that
    /// file, and a main container that reports whether the sidecar was ready when it started.
    /// </summary>
    public static V1Pod SlowSidecar(string name)
    {
        var sidecar = Container("sidecar", "/bin/sh", "-c", "trap 'exit 0' TERM; sleep 1; echo > /shared/ready; while :; do sleep 0.1; done");
        sidecar.RestartPolicy = "Always";
        sidecar.SecurityContext.RunAsUser = 1000;
        sidecar.VolumeMounts = [Mount("shared", "/shared")];
        sidecar.StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["/bin/sh", "-c", "test -e /shared/ready"] }, PeriodSeconds = 1, FailureThreshold = 30 };
        var main = Container("main", "/bin/sh", "-c", "if test -e /shared/ready; then echo sidecar-ready; else echo sidecar-not-ready; fi");
        main.SecurityContext.RunAsUser = 1000;
        main.VolumeMounts = [Mount("shared", "/shared")];
        var pod = Simple(name, main);
        pod.Spec.InitContainers = [sidecar];
        pod.Spec.Volumes = [EmptyDir("shared")];
        return pod;
    }

    public static V1VolumeMount Mount(string volume, string path, bool readOnly = false) =>
        new() { Name = volume, MountPath = path, ReadOnlyProperty = readOnly };

    public static V1Volume EmptyDir(string name, string sizeLimit = "16Mi") =>
        new() { Name = name, EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(sizeLimit) } };
}
