namespace CodeExec.Operator.Controller.Permissions;

/// <summary>Where an RBAC grant applies.</summary>
internal enum PermissionScope
{
    /// <summary>Everywhere: a rule of the operator's ClusterRole.</summary>
    Cluster,

    /// <summary>The operator's own namespace only: a rule of a Role there (the leader-election Lease).</summary>
    OwnNamespace,
}

/// <summary>
/// The RBAC permission the code it is put on needs: on a method of a client facade, the request that method sends;
/// on a class, the requests the class sends through a library (the leader elector's Lease). The operator's roles are
/// derived from these declarations (see <c>Hosting/OperatorPermissions</c>), so each is written next to the call it
/// allows, never in a separate list.
/// </summary>
/// <param name="group">API group; empty for the core group.</param>
/// <param name="resource">The resource as RBAC names it, with its subresource when there is one (<c>pods/log</c>,
/// <c>codeexecutions/status</c>).</param>
/// <param name="verbs">RBAC verbs (<c>get</c>, <c>create</c>, <c>update</c>, <c>delete</c>...); never <c>*</c>.</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
internal sealed class KubernetesPermissionAttribute(string group, string resource, params string[] verbs) : Attribute
{
    /// <summary>API group; empty for the core group.</summary>
    public string Group { get; } = group;

    /// <summary>The resource, with its subresource when there is one.</summary>
    public string Resource { get; } = resource;

    /// <summary>The verbs granted on <see cref="Resource"/>.</summary>
    public IReadOnlyList<string> Verbs { get; } = verbs;

    /// <summary>Where the grant applies; <see cref="PermissionScope.Cluster"/> unless set.</summary>
    public PermissionScope Scope { get; init; } = PermissionScope.Cluster;

    /// <summary>
    /// Set when the permission is checked without the operator ever sending the request (an admission plugin checks it
    /// on another request): why it is needed. A recording of the operator's requests never shows such a permission.
    /// </summary>
    public string? NotARequest { get; init; }
}
