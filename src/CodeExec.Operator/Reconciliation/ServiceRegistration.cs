using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Registers the CodeExecution controller and what it needs.</summary>
internal static class ServiceRegistration
{
    /// <summary>
    /// Adds the CodeExecution controller: it reconciles CodeExecutions, is woken by their children (sandbox Pods,
    /// NetworkPolicies, code ConfigMaps and Secrets, all selected by <paramref name="podLabelSelector"/>, the managed-by
    /// label), and by changes of CodeRuntimes (for executions still waiting). Code objects are cached without their data. Options: section <c>Executions</c> of <paramref name="operatorSection"/>
    /// (the host binds <see cref="SandboxOptions"/> from the top-level section <c>Sandbox</c>).
    /// </summary>
    public static IServiceCollection AddCodeExecutionController(this IServiceCollection services, IConfiguration operatorSection, string podLabelSelector)
    {
        services.Configure<ExecutionOptions>(operatorSection.GetSection(ExecutionOptions.SectionName));
        services.TryAddSingleton<IEgressResolver, DnsEgressResolver>();
        services.AddSingleton<ExecutionEvents>();
        services.AddSingleton<ExecutionMetrics>();
        services.AddController<CodeExecution, CodeExecutionReconciler>(controller => controller
            .Owns<V1Pod>(watch => watch.LabelSelector = podLabelSelector)
            .Owns<V1NetworkPolicy>(watch => watch.LabelSelector = podLabelSelector)
            .Owns<V1ConfigMap>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Trim = TrimConfigMap;
            })
            .Owns<V1Secret>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Trim = TrimSecret;
            })
            .Watches<CodeRuntime>(WaitingExecutionsOf));
        return services;
    }

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
