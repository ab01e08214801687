using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Owners;
using CodeExec.Operator.Hosting;
using CodeExec.Operator.Sandbox;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Registers the CodeExecution controller and what it needs.</summary>
internal static class ServiceRegistration
{
    /// <summary>
    /// List page size for code ConfigMaps and Secrets. Any tenant can label its own objects as managed by the operator,
    /// and each may hold up to 1 MiB; a list holds only one page untrimmed (trimming drops the data), so a small page
    /// bounds that to about 25 MiB however many such objects exist.
    /// </summary>
    internal const int CodeObjectListPageSize = 25;

    /// <summary>
    /// Adds the CodeExecution controller: it reconciles CodeExecutions, is woken by their children (sandbox Pods,
    /// NetworkPolicies, code ConfigMaps and Secrets, all selected by <paramref name="podLabelSelector"/>, the managed-by
    /// label), and by changes of CodeRuntimes (for executions still waiting). Code objects are cached without their data
    /// and listed in small pages (<see cref="CodeObjectListPageSize"/>). Options: section <c>Executions</c> of <paramref name="operatorSection"/>
    /// (the host binds <see cref="SandboxOptions"/> from the top-level section <c>Sandbox</c>).
    /// </summary>
    public static IServiceCollection AddCodeExecutionController(this IServiceCollection services, IConfiguration operatorSection, string podLabelSelector)
    {
        services.Configure<ExecutionOptions>(operatorSection.GetSection(ExecutionOptions.SectionName));
        services.TryAddSingleton<IEgressResolver>(_ => new DnsEgressResolver());
        services.AddSingleton<ExecutionEvents>();
        services.AddSingleton<ExecutionMetrics>();
        services.AddController<CodeExecution, CodeExecutionReconciler>(controller => controller
            .Owns<V1Pod>(watch => watch.LabelSelector = podLabelSelector)
            .Owns<V1NetworkPolicy>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Keep = IsControlledByAnExecution;
            })
            .Owns<V1ConfigMap>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Trim = TrimConfigMap;
                watch.ListPageSize = CodeObjectListPageSize;
                watch.Keep = IsControlledByAnExecution;
            })
            .Owns<V1Secret>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Trim = TrimSecret;
                watch.ListPageSize = CodeObjectListPageSize;
                watch.Keep = IsControlledByAnExecution;
            })
            .Watches<CodeRuntime>(WaitingExecutionsOf));
        return services;
    }

    // The label selector matches objects any tenant may label; only those a CodeExecution controls are the operator's.
    // Others are never cached (the reconciler reads the API server when an object it expects is not in the cache).
    private static bool IsControlledByAnExecution(IMetadata<V1ObjectMeta> child) =>
        OwnerMapping.ControllerOwnerKey(child, OperatorHost.CodeExecutionResource) is not null;

    private static void TrimConfigMap(V1ConfigMap configMap)
    {
        CacheTrimming.TrimMetadata(configMap);
        configMap.Data = null;
        configMap.BinaryData = null;
    }

    private static void TrimSecret(V1Secret secret)
    {
        CacheTrimming.TrimMetadata(secret);
        secret.Data = null;
        secret.StringData = null;
    }

    /// <summary>The executions not yet running that a changed runtime may admit, reject or unblock.</summary>
    private static IEnumerable<ObjectKey> WaitingExecutionsOf(CodeRuntime runtime, IServiceProvider provider) =>
        provider.GetRequiredService<IObjectCache<CodeExecution>>().List()
            .Where(e => e.Status?.Phase is null or ExecutionPhase.Pending or ExecutionPhase.Queued)
            .Where(e => e.Spec.Runtime is null || e.Spec.Runtime == runtime.Metadata.Name)
            .Select(ObjectKey.Of);
}
