using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>plugin/pkg/admission/resourcequota (checkRequest) and pkg/quota/v1/evaluator/core (pods, object counts, scopes).</summary>
public sealed class ResourceQuotaAdmissionTests : AdmissionTest
{
    private Task CreateQuotaAsync(string name, Dictionary<string, string> hard, IList<string>? scopes = null, V1ScopeSelector? selector = null) =>
        Client.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ResourceQuotaSpec
            {
                Hard = hard.ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value)),
                Scopes = scopes,
                ScopeSelector = selector,
            },
        }, Ns, cancellationToken: Ct);

    private async Task<Dictionary<string, string>> UsedAsync(string name)
    {
        var quota = await Client.ReadNamespacedResourceQuotaAsync(name, Ns, cancellationToken: Ct);
        return quota.Status.Used.ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    private static V1Container Sized(string name) => Container(name, cpu: "250m", memory: "128Mi", cpuLimit: "500m", memoryLimit: "128Mi");

    [Fact]
    public async Task Quota_status_has_hard_and_used_and_follows_pod_creation_ending_and_deletion()
    {
        await CreateAsync(Pod("before", Sized("c")));
        await CreateQuotaAsync("q", new() { ["pods"] = "5", ["count/pods"] = "5", ["requests.cpu"] = "2", ["limits.memory"] = "1Gi" });

        var quota = await Client.ReadNamespacedResourceQuotaAsync("q", Ns, cancellationToken: Ct);
        Assert.Equal("2", quota.Status.Hard["requests.cpu"].ToString());
        Assert.Equal(new Dictionary<string, string> { ["count/pods"] = "1", ["limits.memory"] = "128Mi", ["pods"] = "1", ["requests.cpu"] = "250m" }, await UsedAsync("q"));

        await CreateAsync(Pod("second", Sized("c")));
        Assert.Equal(new Dictionary<string, string> { ["count/pods"] = "2", ["limits.memory"] = "256Mi", ["pods"] = "2", ["requests.cpu"] = "500m" }, await UsedAsync("q"));

        var ended = await Client.ReadNamespacedPodStatusAsync("second", Ns, cancellationToken: Ct);
        ended.Status.Phase = "Succeeded";
        await Client.ReplaceNamespacedPodStatusAsync(ended, "second", Ns, cancellationToken: Ct);
        Assert.Equal(new Dictionary<string, string> { ["count/pods"] = "2", ["limits.memory"] = "128Mi", ["pods"] = "1", ["requests.cpu"] = "250m" }, await UsedAsync("q"));

        await Client.DeleteNamespacedPodAsync("before", Ns, cancellationToken: Ct);
        Assert.Equal(new Dictionary<string, string> { ["count/pods"] = "1", ["limits.memory"] = "0", ["pods"] = "0", ["requests.cpu"] = "0" }, await UsedAsync("q"));
    }

    [Fact]
    public async Task checkRequest_refuses_a_pod_over_the_pod_count()
    {
        await CreateQuotaAsync("q", new() { ["pods"] = "1" });
        await CreateAsync(Pod("a"));

        Assert.Equal("pods \"b\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1", await PodForbiddenAsync(Pod("b")));
    }

    [Fact]
    public async Task checkRequest_names_every_exceeded_resource_of_the_first_exceeded_quota()
    {
        await CreateQuotaAsync("compute", new() { ["limits.cpu"] = "1", ["limits.memory"] = "200Mi", ["pods"] = "10" });
        await CreateAsync(Pod("a", Sized("c")));

        var message = await PodForbiddenAsync(Pod("b", Container("c", cpu: "600m", memory: "100Mi", cpuLimit: "600m", memoryLimit: "100Mi")));

        Assert.Equal("pods \"b\" is forbidden: exceeded quota: compute, requested: limits.cpu=600m,limits.memory=100Mi, used: limits.cpu=500m,limits.memory=128Mi, limited: limits.cpu=1,limits.memory=200Mi", message);
    }

    [Fact]
    public async Task Constraints_require_the_tracked_cpu_and_memory_on_every_container()
    {
        await CreateQuotaAsync("compute", new() { ["limits.cpu"] = "4", ["requests.memory"] = "4Gi" });

        var message = await PodForbiddenAsync(Pod("p", Container("a", cpu: "1"), Container("b", memory: "1Gi", cpuLimit: "1")));

        Assert.Equal("pods \"p\" is forbidden: failed quota: compute: must specify limits.cpu for: a; requests.memory for: a", message);
    }

    [Fact]
    public async Task PriorityClass_scope_counts_only_the_pods_of_the_class()
    {
        await Client.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "codeexec-sandbox" }, Value = 1000 }, cancellationToken: Ct);
        await CreateQuotaAsync("sandboxes", new() { ["pods"] = "1" }, selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "In", Values = ["codeexec-sandbox"] }],
        });
        await CreateQuotaAsync("others", new() { ["pods"] = "1" }, selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "DoesNotExist" }],
        });
        V1Pod Sandbox(string name)
        {
            var pod = Pod(name);
            pod.Spec.PriorityClassName = "codeexec-sandbox";
            return pod;
        }

        await CreateAsync(Pod("plain"));
        await CreateAsync(Sandbox("s1"));

        Assert.Equal("1", (await UsedAsync("sandboxes"))["pods"]);
        Assert.Equal("1", (await UsedAsync("others"))["pods"]);
        Assert.StartsWith("pods \"s2\" is forbidden: exceeded quota: sandboxes,", await PodForbiddenAsync(Sandbox("s2")), StringComparison.Ordinal);
        Assert.StartsWith("pods \"plain2\" is forbidden: exceeded quota: others,", await PodForbiddenAsync(Pod("plain2")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PriorityClass_scope_Exists_and_NotIn()
    {
        await Client.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "gold" }, Value = 10 }, cancellationToken: Ct);
        await CreateQuotaAsync("any-class", new() { ["count/pods"] = "10" }, selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "Exists" }],
        });
        await CreateQuotaAsync("not-gold", new() { ["count/pods"] = "10" }, selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "NotIn", Values = ["gold"] }],
        });
        var gold = Pod("gold");
        gold.Spec.PriorityClassName = "gold";

        await CreateAsync(gold);
        await CreateAsync(Pod("plain"));

        Assert.Equal("1", (await UsedAsync("any-class"))["count/pods"]);
        Assert.Equal("1", (await UsedAsync("not-gold"))["count/pods"]);
    }

    [Fact]
    public async Task Terminating_and_BestEffort_scopes()
    {
        await CreateQuotaAsync("terminating", new() { ["pods"] = "10" }, scopes: ["Terminating"]);
        await CreateQuotaAsync("not-terminating", new() { ["pods"] = "10" }, scopes: ["NotTerminating"]);
        await CreateQuotaAsync("best-effort", new() { ["pods"] = "10" }, scopes: ["BestEffort"]);
        await CreateQuotaAsync("not-best-effort", new() { ["pods"] = "10" }, scopes: ["NotBestEffort"]);
        var deadline = Pod("deadline", Sized("c"));
        deadline.Spec.ActiveDeadlineSeconds = 60;

        await CreateAsync(deadline);
        await CreateAsync(Pod("plain"));

        Assert.Equal("1", (await UsedAsync("terminating"))["pods"]);
        Assert.Equal("1", (await UsedAsync("not-terminating"))["pods"]);
        Assert.Equal("1", (await UsedAsync("best-effort"))["pods"]);
        Assert.Equal("1", (await UsedAsync("not-best-effort"))["pods"]);
    }

    [Fact]
    public async Task Object_counts_cover_configmaps_and_secrets()
    {
        await CreateQuotaAsync("objects", new() { ["count/configmaps"] = "1", ["secrets"] = "1" });
        await Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, Ns, cancellationToken: Ct);
        await Client.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, Ns, cancellationToken: Ct);

        Assert.Equal(new Dictionary<string, string> { ["count/configmaps"] = "1", ["secrets"] = "1" }, await UsedAsync("objects"));
        Assert.Equal("configmaps \"b\" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1",
            await ForbiddenAsync(() => Client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, Ns, cancellationToken: Ct)));
        Assert.Equal("secrets \"t\" is forbidden: exceeded quota: objects, requested: secrets=1, used: secrets=1, limited: secrets=1",
            await ForbiddenAsync(() => Client.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "t" } }, Ns, cancellationToken: Ct)));

        await Client.DeleteNamespacedConfigMapAsync("a", Ns, cancellationToken: Ct);
        Assert.Equal("0", (await UsedAsync("objects"))["count/configmaps"]);
    }

    [Fact]
    public async Task Object_counts_cover_custom_resources()
    {
        // The cluster-side cap the README recommends: count/<resource>.<group> for a CRD (pkg/quota/v1/generic object count evaluator).
        await CreateQuotaAsync("executions", new() { ["count/codeexecutions.codeexec.dev"] = "1" });
        Task Create(string name) => Client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "codeexec.dev/v1alpha1",
            ["kind"] = "CodeExecution",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name },
            ["spec"] = new Dictionary<string, object> { ["runtime"] = "python", ["code"] = "print(1)" },
        }, "codeexec.dev", "v1alpha1", Ns, "codeexecutions", cancellationToken: Ct);
        await Create("a");

        Assert.Equal(new Dictionary<string, string> { ["count/codeexecutions.codeexec.dev"] = "1" }, await UsedAsync("executions"));
        Assert.Equal("codeexecutions.codeexec.dev \"b\" is forbidden: exceeded quota: executions, requested: count/codeexecutions.codeexec.dev=1, used: count/codeexecutions.codeexec.dev=1, limited: count/codeexecutions.codeexec.dev=1",
            await ForbiddenAsync(() => Create("b")));
    }

    [Fact]
    public async Task A_dry_run_create_is_checked_but_not_counted()
    {
        await CreateQuotaAsync("q", new() { ["pods"] = "1" });

        await Client.CreateNamespacedPodAsync(Pod("dry"), Ns, dryRun: "All", cancellationToken: Ct);

        Assert.Equal("0", (await UsedAsync("q"))["pods"]);
    }

    [Fact]
    public async Task Overhead_counts_toward_requests()
    {
        await Client.CreateRuntimeClassAsync(new V1RuntimeClass
        {
            Metadata = new V1ObjectMeta { Name = "gvisor" },
            Handler = "runsc",
            Overhead = new V1Overhead { PodFixed = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } },
        }, cancellationToken: Ct);
        await CreateQuotaAsync("q", new() { ["requests.memory"] = "1Gi", ["limits.memory"] = "1Gi" });
        var pod = Pod("p", Sized("c"));
        pod.Spec.RuntimeClassName = "gvisor";

        await CreateAsync(pod);

        Assert.Equal(new Dictionary<string, string> { ["limits.memory"] = "192Mi", ["requests.memory"] = "192Mi" }, await UsedAsync("q"));
    }
}
