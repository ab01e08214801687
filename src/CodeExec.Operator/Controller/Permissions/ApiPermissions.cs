using System.Reflection;
using CodeExec.Operator.Controller.Watching;
using Microsoft.Extensions.DependencyInjection;

namespace CodeExec.Operator.Controller.Permissions;

/// <summary>
/// RBAC grants collected from the code that needs them: per <see cref="PermissionScope"/>, (API group, resource) to
/// verbs, and the grants no request ever uses (checked by admission, see
/// <see cref="KubernetesPermissionAttribute.NotARequest"/>) with their reasons. Refuses wildcards, empty verb lists and
/// facade methods that declare nothing.
/// </summary>
internal sealed class ApiPermissions
{
    private readonly Dictionary<PermissionScope, SortedDictionary<(string Group, string Resource), SortedSet<string>>> _grants = [];
    private readonly HashSet<(string Group, string Resource, string Verb)> _requested = [];
    private readonly Dictionary<(string Group, string Resource, string Verb), string> _notARequest = [];

    /// <summary>The grants of <paramref name="scope"/>: (group, resource) to its verbs, in ordinal order.</summary>
    public IReadOnlyDictionary<(string Group, string Resource), IReadOnlyList<string>> In(PermissionScope scope) =>
        _grants.TryGetValue(scope, out var grants)
            ? grants.ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Value])
            : new Dictionary<(string Group, string Resource), IReadOnlyList<string>>();

    /// <summary>Grants no request of the operator uses (only an admission check on another request), and why each is needed.</summary>
    public IReadOnlyDictionary<(string Group, string Resource, string Verb), string> WithoutARequest =>
        _notARequest.Where(n => !_requested.Contains(n.Key)).ToDictionary(n => n.Key, n => n.Value);

    /// <summary>Adds one grant.</summary>
    /// <exception cref="ArgumentException">A wildcard, an empty resource or no verb.</exception>
    public void Add(PermissionScope scope, string group, string resource, IEnumerable<string> verbs, string? notARequest = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(verbs);
        var list = verbs.ToList();
        if (string.IsNullOrEmpty(resource) || list.Count == 0 || list.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"a grant needs a resource and at least one verb ({group}/{resource}: {string.Join(",", list)})");
        }

        if (group == "*" || resource.Contains('*', StringComparison.Ordinal) || list.Contains("*"))
        {
            throw new ArgumentException($"wildcard in a declared permission ({group}/{resource}: {string.Join(",", list)})");
        }

        if (!_grants.TryGetValue(scope, out var grants))
        {
            _grants[scope] = grants = [];
        }

        if (!grants.TryGetValue((group, resource), out var set))
        {
            grants[(group, resource)] = set = new SortedSet<string>(StringComparer.Ordinal);
        }

        set.UnionWith(list);
        foreach (var verb in list)
        {
            if (notARequest is null)
            {
                _requested.Add((group, resource, verb));
            }
            else
            {
                _notARequest[(group, resource, verb)] = notARequest;
            }
        }
    }

    /// <summary>
    /// Adds the declarations of a client facade: <paramref name="implementation"/>'s methods that implement
    /// <paramref name="contract"/>, each of which must carry at least one <see cref="KubernetesPermissionAttribute"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A method of the contract declares no permission (named in the message).</exception>
    public void AddFacade(Type contract, Type implementation)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(implementation);
        var map = implementation.GetInterfaceMap(contract);
        var undeclared = new List<string>();
        foreach (var method in map.TargetMethods)
        {
            var declared = method.GetCustomAttributes<KubernetesPermissionAttribute>().ToList();
            if (declared.Count == 0)
            {
                undeclared.Add(method.Name);
            }

            foreach (var permission in declared)
            {
                Add(permission);
            }
        }

        if (undeclared.Count > 0)
        {
            throw new InvalidOperationException(
                $"{implementation.Name} calls the API server in {string.Join(", ", undeclared.Order(StringComparer.Ordinal))} without declaring the permission ([KubernetesPermission])");
        }
    }

    /// <summary>Adds the class-level declarations of <paramref name="type"/> (requests it sends through a library).</summary>
    public void AddDeclaredBy(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        foreach (var permission in type.GetCustomAttributes<KubernetesPermissionAttribute>())
        {
            Add(permission);
        }
    }

    /// <summary>
    /// Adds <see cref="WatchRequests.Verbs"/> (cluster-wide) for every kind <paramref name="services"/> watches and caches
    /// (each <see cref="ResourceWatcher{TEntity}"/> registered by <c>AddWatchedResource</c>, the controller builder's
    /// <c>Owns</c> and <c>Watches</c>), at the resource type its watch options resolve to.
    /// </summary>
    public void AddWatches(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var watched = services.Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ResourceWatcher<>))
            .Select(t => t.GetGenericArguments()[0])
            .Distinct()
            .ToList();
        using var provider = services.BuildServiceProvider();
        var resolve = typeof(ControllerServiceCollectionExtensions).GetMethod(nameof(ControllerServiceCollectionExtensions.ResourceTypeOf),
            BindingFlags.Static | BindingFlags.NonPublic)!;
        foreach (var entity in watched)
        {
            var resource = (ResourceType)resolve.MakeGenericMethod(entity).Invoke(null, [provider])!;
            Add(PermissionScope.Cluster, resource.Group, resource.Plural, WatchRequests.Verbs);
        }
    }

    private void Add(KubernetesPermissionAttribute permission) =>
        Add(permission.Scope, permission.Group, permission.Resource, permission.Verbs, permission.NotARequest);
}
