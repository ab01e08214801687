using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>CPU (in cores) and memory (in bytes) of one Pod, or of several added up.</summary>
/// <param name="Cpu">Cores; 0.5 is <c>500m</c>.</param>
/// <param name="Memory">Bytes.</param>
internal readonly record struct PodResources(decimal Cpu, decimal Memory)
{
    /// <summary>Nothing.</summary>
    public static PodResources Zero => default;

    /// <summary>The sum of two.</summary>
    public static PodResources operator +(PodResources left, PodResources right) => new(left.Cpu + right.Cpu, left.Memory + right.Memory);

    /// <summary>The sum of two.</summary>
    public static PodResources Add(PodResources left, PodResources right) => left + right;

    /// <summary>
    /// The cpu and memory limits of <paramref name="pod"/> as the API server's ResourceQuota and the scheduler count
    /// them (<c>k8s.io/component-helpers/resource/helpers.go</c>, <c>PodLimits</c>): the sum of the containers, plus
    /// each restartable (sidecar) init container, or the largest regular init container with the sidecars started
    /// before it, whichever is larger. With <paramref name="withOverhead"/> the Pod's <c>spec.overhead</c> (set by the
    /// RuntimeClass admission plugin from the class's <c>overhead.podFixed</c>) is added to each limit that is set.
    /// A container without a limit adds nothing.
    /// </summary>
    public static PodResources LimitsOf(V1Pod pod, bool withOverhead = false)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var spec = pod.Spec;
        var sum = Zero;
        foreach (var container in spec?.Containers ?? [])
        {
            sum += Of(container.Resources?.Limits);
        }

        var sidecars = Zero;
        var init = Zero;
        foreach (var container in spec?.InitContainers ?? [])
        {
            var limits = Of(container.Resources?.Limits);
            PodResources during;
            if (container.RestartPolicy == "Always")
            {
                sum += limits;
                sidecars += limits;
                during = sidecars;
            }
            else
            {
                during = limits + sidecars;
            }

            init = new PodResources(Math.Max(init.Cpu, during.Cpu), Math.Max(init.Memory, during.Memory));
        }

        sum = new PodResources(Math.Max(sum.Cpu, init.Cpu), Math.Max(sum.Memory, init.Memory));
        if (withOverhead && spec?.Overhead is { } overhead)
        {
            var extra = Of(overhead);
            sum = new PodResources(sum.Cpu > 0 ? sum.Cpu + extra.Cpu : 0, sum.Memory > 0 ? sum.Memory + extra.Memory : 0);
        }

        return sum;
    }

    private static PodResources Of(IDictionary<string, ResourceQuantity>? list) => new(
        list?.TryGetValue("cpu", out var cpu) == true ? cpu.ToDecimal() : 0,
        list?.TryGetValue("memory", out var memory) == true ? memory.ToDecimal() : 0);
}
