using k8s.Models;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>
/// The limits of a pod's cgroup, computed the way the kubelet does for the pod-level cgroup
/// (kubernetes pkg/kubelet/cm/helpers_linux.go <c>ResourceConfigForPod</c>, with
/// k8s.io/component-helpers/resource <c>PodLimits</c>): the larger of (sum of the regular containers and native
/// sidecars) and (each init container plus the sidecars started before it), plus the RuntimeClass overhead
/// (<c>spec.overhead</c>, which RuntimeClass admission copies from <c>RuntimeClass.overhead.podFixed</c>). A resource
/// gets a pod limit only when every container declares a limit for it, as in the kubelet.
/// </summary>
public static class PodResources
{
    /// <summary>The pod cgroup's limits (null where some container has no limit).</summary>
    public static SandboxLimits Limits(V1Pod pod)
    {
        var spec = pod.Spec;
        var all = (spec.InitContainers ?? []).Concat(spec.Containers ?? []).ToList();
        var memory = all.All(c => OciSpecBuilder.Limits(c).MemoryBytes is not null) ? Sum(spec, c => OciSpecBuilder.Limits(c).MemoryBytes!.Value, "memory", q => q.ToInt64()) : (long?)null;
        var cpu = all.All(c => OciSpecBuilder.Limits(c).CpuMillis is not null) ? Sum(spec, c => OciSpecBuilder.Limits(c).CpuMillis!.Value, "cpu", q => (long)Math.Ceiling(q.ToDecimal() * 1000)) : (long?)null;
        return new SandboxLimits(memory, cpu);
    }

    private static long Sum(V1PodSpec spec, Func<V1Container, long> limit, string overheadName, Func<ResourceQuantity, long> overheadValue)
    {
        long sidecars = 0;
        long initPeak = 0;
        foreach (var init in spec.InitContainers ?? [])
        {
            if (init.RestartPolicy == "Always")
            {
                sidecars += limit(init);
                initPeak = Math.Max(initPeak, sidecars);
            }
            else
            {
                initPeak = Math.Max(initPeak, sidecars + limit(init));
            }
        }

        var running = sidecars + (spec.Containers ?? []).Sum(limit);
        var overhead = spec.Overhead is { } o && o.TryGetValue(overheadName, out var q) ? overheadValue(q) : 0;
        return Math.Max(running, initPeak) + overhead;
    }
}
