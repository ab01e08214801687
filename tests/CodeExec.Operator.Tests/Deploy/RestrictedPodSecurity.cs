using k8s.Models;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Checks a pod spec against the Kubernetes Pod Security Standards "restricted" profile (which includes "baseline"),
/// plus a read-only root filesystem for every container. Returns one readable line per violation.
/// </summary>
internal static class RestrictedPodSecurity
{
    private static readonly HashSet<string> AllowedVolumeKinds =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    public static IReadOnlyList<string> Violations(V1PodSpec pod)
    {
        var violations = new List<string>();
        if (pod.HostNetwork == true) violations.Add("hostNetwork is true");
        if (pod.HostPID == true) violations.Add("hostPID is true");
        if (pod.HostIPC == true) violations.Add("hostIPC is true");

        foreach (var volume in pod.Volumes ?? [])
        {
            var kind = VolumeKind(volume);
            if (!AllowedVolumeKinds.Contains(kind)) violations.Add($"volume {volume.Name} is of kind {kind}");
        }

        var podContext = pod.SecurityContext;
        if (podContext?.RunAsUser == 0) violations.Add("pod runAsUser is 0");
        var containers = (pod.InitContainers ?? []).Concat(pod.Containers ?? []);
        foreach (var container in containers)
        {
            var context = container.SecurityContext;
            var name = $"container {container.Name}";
            if (context is null)
            {
                violations.Add($"{name} has no securityContext");
                continue;
            }

            if (context.Privileged == true) violations.Add($"{name} is privileged");
            if (context.AllowPrivilegeEscalation != false) violations.Add($"{name} does not set allowPrivilegeEscalation false");
            if (context.ReadOnlyRootFilesystem != true) violations.Add($"{name} does not set readOnlyRootFilesystem true");
            if (!(context.Capabilities?.Drop ?? []).Contains("ALL")) violations.Add($"{name} does not drop ALL capabilities");
            foreach (var added in context.Capabilities?.Add ?? [])
            {
                if (added != "NET_BIND_SERVICE") violations.Add($"{name} adds capability {added}");
            }

            if ((context.RunAsNonRoot ?? podContext?.RunAsNonRoot) != true) violations.Add($"{name} may run as root (runAsNonRoot not true)");
            if (context.RunAsUser == 0) violations.Add($"{name} runAsUser is 0");
            var seccomp = context.SeccompProfile?.Type ?? podContext?.SeccompProfile?.Type;
            if (seccomp is not ("RuntimeDefault" or "Localhost")) violations.Add($"{name} seccompProfile is {seccomp ?? "unset"}");
            if ((container.Ports ?? []).Any(port => port.HostPort is > 0)) violations.Add($"{name} uses a hostPort");
        }

        return violations;
    }

    private static string VolumeKind(V1Volume volume) => volume switch
    {
        { ConfigMap: not null } => "configMap",
        { Csi: not null } => "csi",
        { DownwardAPI: not null } => "downwardAPI",
        { EmptyDir: not null } => "emptyDir",
        { Ephemeral: not null } => "ephemeral",
        { PersistentVolumeClaim: not null } => "persistentVolumeClaim",
        { Projected: not null } => "projected",
        { Secret: not null } => "secret",
        { HostPath: not null } => "hostPath",
        _ => "other",
    };
}
