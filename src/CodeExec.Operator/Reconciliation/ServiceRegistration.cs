using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Caching;
using CodeExec.Operator.Controller.Owners;
using CodeExec.Operator.Controller.Watching;
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
    /// <summary>Namespaces (cluster-scoped), watched for the per-namespace limit annotations (<see cref="NamespaceLimits"/>).</summary>
    internal static readonly ResourceType NamespaceResource = new("", "v1", "namespaces", "Namespace", Namespaced: false);

    /// <summary>
    /// Adds the CodeExecution controller: it reconciles CodeExecutions, is woken by their sandbox Pods and
    /// NetworkPolicies (selected by <paramref name="podLabelSelector"/>, the managed-by label), and by changes of
    /// CodeRuntimes (for executions still waiting). The oldest waiting execution of a namespace is woken by any change of
    /// a sandbox Pod of the namespace, of another execution of the namespace (one that starts, ends or goes), and of the
    /// Namespace object (its limit annotations); Namespaces are cached with only those annotations. ConfigMaps and
    /// Secrets are neither listed nor watched (the operator's role has no list or watch of them anywhere): the code copy
    /// is read by name until the code's start is recorded, and deleted by name with its UID as precondition. Options:
    /// section <c>Executions</c> of <paramref name="operatorSection"/>
    /// (the host binds <see cref="SandboxOptions"/> from the top-level section <c>Sandbox</c>).
    /// </summary>
    public static IServiceCollection AddCodeExecutionController(this IServiceCollection services, IConfiguration operatorSection, string podLabelSelector)
    {
        services.AddOptions<ExecutionOptions>().Bind(operatorSection.GetSection(ExecutionOptions.SectionName))
            .Validate(options => NamespaceLimits.Validate(options).Count == 0,
                "Operator:Executions: MaxActivePerNamespace must be 0 or more, MaxCpuPerNamespace and MaxMemoryPerNamespace quantities of 0 or more (or empty)")
            .ValidateOnStart();
        services.TryAddSingleton<IEgressResolver>(_ => new DnsEgressResolver());
        services.AddSingleton<IOperatorApi, OperatorApi>();
        services.AddSingleton<ExecutionEvents>();
        services.AddSingleton<SandboxQuotas>();
        services.AddSingleton<ExecutionMetrics>();
        services.AddController<CodeExecution, CodeExecutionReconciler>(controller => controller
            .Owns<V1Pod>(watch => watch.LabelSelector = podLabelSelector)
            .Owns<V1NetworkPolicy>(watch =>
            {
                watch.LabelSelector = podLabelSelector;
                watch.Keep = IsControlledByAnExecution;
            })
            .Watches<CodeRuntime>(WaitingExecutionsOf)
            .Watches<V1Pod>(HeadOfNamespaceOf)
            .Watches<CodeExecution>(HeadOfNamespaceOf)
            .Watches<V1Namespace>(HeadOf, watch =>
            {
                watch.Resource = NamespaceResource;
                watch.Trim = TrimNamespace;
            }));
        return services;
    }

    // The label selector matches objects any tenant may label; only those a CodeExecution controls are the operator's.
    // Others are never cached (the reconciler reads the API server when an object it expects is not in the cache).
    private static bool IsControlledByAnExecution(IMetadata<V1ObjectMeta> child) =>
        OwnerMapping.ControllerOwnerKey(child, OperatorHost.CodeExecutionResource) is not null;

    /// <summary>
    /// The oldest waiting execution of <paramref name="changed"/>'s namespace, unless that is <paramref name="changed"/>
    /// itself (its own watch event reconciles it already). A finishing or deleted sandbox Pod, an execution that started,
    /// ended, went, or joined the queue: the head checks again, from the caches; when it starts, its own change wakes
    /// the next one.
    /// </summary>
    private static IEnumerable<ObjectKey> HeadOfNamespaceOf<T>(T changed, IServiceProvider provider)
        where T : IMetadata<V1ObjectMeta>
    {
        if (string.IsNullOrEmpty(changed.Metadata?.NamespaceProperty))
        {
            return [];
        }

        var head = NamespaceQueue.Head(provider.GetRequiredService<IObjectCache<CodeExecution>>().List(changed.Metadata.NamespaceProperty));
        return head is { } key && key != ObjectKey.Of(changed) ? [key] : [];
    }

    /// <summary>The oldest waiting execution of a changed Namespace (its limits may have changed).</summary>
    private static IEnumerable<ObjectKey> HeadOf(V1Namespace changed, IServiceProvider provider) =>
        NamespaceQueue.Head(provider.GetRequiredService<IObjectCache<CodeExecution>>().List(changed.Metadata.Name)) is { } key ? [key] : [];

    /// <summary>Keeps of a Namespace only its name, identity and the operator's annotations (<c>codeexec.dev/</c>).</summary>
    private static void TrimNamespace(V1Namespace namespaceObject)
    {
        var metadata = namespaceObject.Metadata;
        namespaceObject.Spec = null;
        namespaceObject.Status = null;
        if (metadata is null)
        {
            return;
        }

        metadata.ManagedFields = null;
        metadata.Labels = null;
        metadata.Finalizers = null;
        metadata.OwnerReferences = null;
        var ours = metadata.Annotations?.Where(a => a.Key.StartsWith("codeexec.dev/", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
        metadata.Annotations = ours is { Count: > 0 } ? ours : null;
    }

    /// <summary>The executions not yet running that a changed runtime may admit, reject or unblock.</summary>
    private static IEnumerable<ObjectKey> WaitingExecutionsOf(CodeRuntime runtime, IServiceProvider provider) =>
        provider.GetRequiredService<IObjectCache<CodeExecution>>().List()
            .Where(e => e.Status?.Phase is null or ExecutionPhase.Pending or ExecutionPhase.Queued)
            .Where(e => e.Spec.Runtime is null || e.Spec.Runtime == runtime.Metadata.Name)
            .Select(ObjectKey.Of);
}
