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
    /// Adds the CodeExecution controller: it reconciles CodeExecutions, is woken by their sandbox Pods and
    /// NetworkPolicies (selected by <paramref name="podLabelSelector"/>, the managed-by label), and by changes of
    /// CodeRuntimes (for executions still waiting). ConfigMaps and Secrets are neither listed nor watched (the operator's
    /// role has no list or watch of them anywhere): the code copy is read by name while the code has not started, and
    /// deleted by name with its UID as precondition. Options: section <c>Executions</c> of <paramref name="operatorSection"/>
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
            .Owns<V1NetworkPolicy>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Keep = IsControlledByAnExecution;
            })
            .Watches<CodeRuntime>(WaitingExecutionsOf));
        return services;
    }

    // The label selector matches objects any tenant may label; only those a CodeExecution controls are the operator's.
    // Others are never cached (the reconciler reads the API server when an object it expects is not in the cache).
    private static bool IsControlledByAnExecution(IMetadata<V1ObjectMeta> child) =>
        OwnerMapping.ControllerOwnerKey(child, OperatorHost.CodeExecutionResource) is not null;

    /// <summary>The executions not yet running that a changed runtime may admit, reject or unblock.</summary>
    private static IEnumerable<ObjectKey> WaitingExecutionsOf(CodeRuntime runtime, IServiceProvider provider) =>
        provider.GetRequiredService<IObjectCache<CodeExecution>>().List()
            .Where(e => e.Status?.Phase is null or ExecutionPhase.Pending or ExecutionPhase.Queued)
            .Where(e => e.Spec.Runtime is null || e.Spec.Runtime == runtime.Metadata.Name)
            .Select(ObjectKey.Of);
}
