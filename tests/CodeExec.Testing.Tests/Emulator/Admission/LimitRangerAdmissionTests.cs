using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>plugin/pkg/admission/limitranger (PodMutateLimitFunc, PodValidateLimitFunc).</summary>
public sealed class LimitRangerAdmissionTests : AdmissionTest
{
    private Task CreateLimitRangeAsync(params V1LimitRangeItem[] items) =>
        Client.CreateNamespacedLimitRangeAsync(new V1LimitRange { Metadata = new V1ObjectMeta { Name = "limits" }, Spec = new V1LimitRangeSpec { Limits = items } },
            Ns, cancellationToken: Ct);

    private static Dictionary<string, ResourceQuantity> Q(params (string Name, string Value)[] values) => values.ToDictionary(v => v.Name, v => new ResourceQuantity(v.Value));

    [Fact]
    public async Task PodMutateLimitFunc_sets_default_requests_and_limits_and_notes_them()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Container", DefaultProperty = Q(("cpu", "500m"), ("memory", "256Mi")), DefaultRequest = Q(("cpu", "100m")) });

        var pod = await CreateAsync(Pod("p", Container("c", memory: "64Mi")));

        var resources = pod.Spec.Containers[0].Resources;
        Assert.Equal(("100m", "64Mi"), (resources.Requests["cpu"].ToString(), resources.Requests["memory"].ToString()));
        Assert.Equal(("500m", "256Mi"), (resources.Limits["cpu"].ToString(), resources.Limits["memory"].ToString()));
        Assert.Equal("LimitRanger plugin set: cpu request for container c; cpu, memory limit for container c", pod.Metadata.Annotations["kubernetes.io/limit-ranger"]);
        Assert.Equal("Burstable", pod.Status.QosClass);
    }

    [Fact]
    public async Task Max_defaults_the_limit_and_the_request()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Container", Max = Q(("memory", "1Gi")) });

        var pod = await CreateAsync(Pod("p"));

        Assert.Equal(("1Gi", "1Gi"), (pod.Spec.Containers[0].Resources.Requests["memory"].ToString(), pod.Spec.Containers[0].Resources.Limits["memory"].ToString()));
    }

    [Fact]
    public async Task maxConstraint_refuses_a_limit_over_max()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Container", Max = Q(("cpu", "1")) });

        var message = await PodForbiddenAsync(Pod("p", Container("c", cpu: "500m", cpuLimit: "2")));

        Assert.Equal("pods \"p\" is forbidden: maximum cpu usage per Container is 1, but limit is 2", message);
    }

    [Fact]
    public async Task minConstraint_refuses_a_request_under_min()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Container", Min = Q(("memory", "64Mi")) });

        var message = await PodForbiddenAsync(Pod("p", Container("c", memory: "32Mi")));

        Assert.Equal("pods \"p\" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi", message);
    }

    [Fact]
    public async Task limitRequestRatioConstraint_refuses_a_ratio_over_the_maximum()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Container", MaxLimitRequestRatio = Q(("cpu", "2")) });

        var message = await PodForbiddenAsync(Pod("p", Container("c", cpu: "100m", cpuLimit: "300m")));

        Assert.Equal("pods \"p\" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000", message);
    }

    [Fact]
    public async Task Pod_items_check_the_pods_aggregate_and_several_errors_are_listed()
    {
        await CreateLimitRangeAsync(new V1LimitRangeItem { Type = "Pod", Max = Q(("cpu", "1"), ("memory", "1Gi")) });

        var message = await PodForbiddenAsync(Pod("p", Container("a", cpu: "600m", cpuLimit: "600m"), Container("b", cpu: "600m", cpuLimit: "600m")));

        Assert.Equal("pods \"p\" is forbidden: [maximum cpu usage per Pod is 1, but limit is 1200m, maximum memory usage per Pod is 1Gi.  No limit is specified]", message);
    }
}
