using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Controller.Permissions;
using CodeExec.Operator.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeExec.Operator.Hosting;

/// <summary>
/// The RBAC permissions the operator needs, derived from its code rather than listed by hand: the declarations
/// (<see cref="KubernetesPermissionAttribute"/>) on the methods of the API facade <see cref="AddOperator"/> registers for
/// <see cref="IOperatorApi"/>, <c>list</c> and <c>watch</c> of every kind it registers a watch for, and the leader
/// election's Lease verbs declared on <see cref="LeaderElectionService"/>. config/rbac and the chart's roles are
/// tested against it, and a recording of the operator's requests against an emulated API server is compared with it
/// both ways.
/// </summary>
/// <param name="ClusterWide">The ClusterRole's rules: (API group, resource) to verbs.</param>
/// <param name="LeaderElection">The leader-election Role's rules in the operator's namespace.</param>
/// <param name="WithoutARequest">Granted, but checked by admission rather than sent as a request; with the reason.</param>
internal sealed record OperatorPermissions(
    IReadOnlyDictionary<(string Group, string Resource), IReadOnlyList<string>> ClusterWide,
    IReadOnlyDictionary<(string Group, string Resource), IReadOnlyList<string>> LeaderElection,
    IReadOnlyDictionary<(string Group, string Resource, string Verb), string> WithoutARequest)
{
    /// <summary>
    /// Registers the operator's services as <see cref="OperatorHost.AddOperator"/> does (with default settings; nothing is
    /// started, no cluster is contacted) and collects what they declare.
    /// </summary>
    /// <exception cref="InvalidOperationException">A facade method declares no permission, or the facade is not registered.</exception>
    public static OperatorPermissions Derive()
    {
        var services = new ServiceCollection();
        services.AddOperator(new ConfigurationBuilder().Build());
        var permissions = new ApiPermissions();
        permissions.AddFacade(typeof(IOperatorApi), ImplementationOf(services, typeof(IOperatorApi)));
        permissions.AddWatches(services);
        permissions.AddDeclaredBy(ImplementationOf(services, typeof(LeaderElectionService)));
        return new OperatorPermissions(permissions.In(PermissionScope.Cluster), permissions.In(PermissionScope.OwnNamespace), permissions.WithoutARequest);
    }

    private static Type ImplementationOf(IServiceCollection services, Type serviceType) =>
        services.LastOrDefault(d => d.ServiceType == serviceType)?.ImplementationType
        ?? throw new InvalidOperationException($"{serviceType.Name} is not registered by its type: its permissions cannot be derived");
}
