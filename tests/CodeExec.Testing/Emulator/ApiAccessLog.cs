namespace CodeExec.Testing.Emulator;

/// <summary>One kind of API access, in RBAC's terms: what a Role or ClusterRole rule must grant for it.</summary>
/// <param name="Agent">The client, the product token of its User-Agent (<c>codeexec-operator</c>).</param>
/// <param name="Group">The API group ("" for core).</param>
/// <param name="Resource">The resource, with its subresource when there is one (<c>pods/log</c>).</param>
/// <param name="Verb">The RBAC verb: get, list, watch, create, update, patch, delete, deletecollection.</param>
/// <param name="ClusterWide">True for a request across all namespaces (or on a cluster-scoped resource), which only a ClusterRole binding grants.</param>
public sealed record ApiAccess(string Agent, string Group, string Resource, string Verb, bool ClusterWide);

/// <summary>
/// Every kind of resource request the emulator served (or refused), by client. Verbs are derived from the HTTP method as
/// kube-apiserver's <c>RequestInfoFactory.NewRequestInfo</c> derives them (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
/// GET of a named object is get, of a collection list, with watch=true watch; POST create; PUT update; PATCH patch;
/// DELETE of a named object delete, of a collection deletecollection.
/// </summary>
public sealed class ApiAccessLog
{
    private readonly Lock _lock = new();
    private readonly HashSet<ApiAccess> _seen = [];

    /// <summary>The kinds of access made so far by the client whose User-Agent product is <paramref name="agent"/>.</summary>
    public IReadOnlySet<ApiAccess> Of(string agent)
    {
        lock (_lock)
        {
            return _seen.Where(a => a.Agent == agent).ToHashSet();
        }
    }

    /// <summary>Forgets what was recorded.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _seen.Clear();
        }
    }

    internal void Record(string userAgent, string group, string resource, string method, bool named, bool watch, bool clusterWide)
    {
        var slash = userAgent.IndexOf('/', StringComparison.Ordinal);
        var agent = slash > 0 ? userAgent[..slash] : userAgent;
        var verb = method switch
        {
            "GET" when named => "get",
            "GET" when watch => "watch",
            "GET" => "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when named => "delete",
            "DELETE" => "deletecollection",
            _ => method.ToLowerInvariant(),
        };
        lock (_lock)
        {
            _seen.Add(new ApiAccess(agent, group, resource, verb, clusterWide));
        }
    }
}
