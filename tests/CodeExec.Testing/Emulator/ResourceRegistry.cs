using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// The resources the emulator serves: the built-in kinds the operator touches, plus custom resources registered from
/// CustomResourceDefinitions (files loaded at start or CRDs created through the API).
/// </summary>
internal sealed class ResourceRegistry
{
    private static readonly FrozenSet<string> MetadataFields = FrozenSet.ToFrozenSet(["metadata.name", "metadata.namespace"]);

    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), ResourceType> _byPath = new();

    public ResourceRegistry()
    {
        Add(Core("namespaces", "Namespace", namespaced: false, status: true, shortNames: ["ns"], fields: ["status.phase"]));
        Add(Core("pods", "Pod", status: true, generation: true, returnsObject: true, shortNames: ["po"],
            fields: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                "status.phase", "status.podIP", "status.nominatedNodeName"]));
        Add(Core("configmaps", "ConfigMap", shortNames: ["cm"]));
        Add(Core("secrets", "Secret", fields: ["type"]));
        Add(Core("events", "Event", shortNames: ["ev"],
            fields: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                "reportingComponent", "source", "type"]));
        Add(Core("serviceaccounts", "ServiceAccount", returnsObject: true, shortNames: ["sa"]));
        Add(Core("resourcequotas", "ResourceQuota", status: true, shortNames: ["quota"]));
        Add(Core("limitranges", "LimitRange", shortNames: ["limits"]));
        Add(Core("nodes", "Node", namespaced: false, status: true, shortNames: ["no"], fields: ["spec.unschedulable"]));
        Add(Builtin("events.k8s.io", "v1", "events", "Event", namespaced: true, shortNames: ["ev"],
            fields: ["reason", "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "reportingController", "type"]));
        Add(Builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", namespaced: true, generation: true, shortNames: ["netpol"]));
        Add(Builtin("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced: false, shortNames: ["pc"]));
        Add(Builtin("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", namespaced: false));
        Add(Builtin("coordination.k8s.io", "v1", "leases", "Lease", namespaced: true));
        Add(Builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", namespaced: false,
            status: true, generation: true, shortNames: ["crd", "crds"]));
    }

    public ResourceType Namespaces => _byPath[("", "v1", "namespaces")];

    public ResourceType Pods => _byPath[("", "v1", "pods")];

    public ResourceType CustomResourceDefinitions => _byPath[("apiextensions.k8s.io", "v1", "customresourcedefinitions")];

    public ResourceType? Find(string group, string version, string plural) =>
        _byPath.TryGetValue((group, version, plural), out var type) ? type : null;

    public IEnumerable<ResourceType> All => _byPath.Values;

    /// <summary>Any served version of the storage this key names (used to find owners and dependents).</summary>
    public ResourceType? FindStorage(string storageKey) => _byPath.Values.FirstOrDefault(t => t.StorageKey == storageKey);

    /// <summary>Finds the resource of an ownerReference or event's apiVersion and kind.</summary>
    public ResourceType? FindByKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return _byPath.Values.FirstOrDefault(t => t.Group == group && t.Version == version && t.Kind == kind)
            ?? _byPath.Values.FirstOrDefault(t => t.Group == group && t.Kind == kind);
    }

    /// <summary>Registers (or re-registers) the served versions of a CRD; returns them.</summary>
    public IReadOnlyList<ResourceType> RegisterCrd(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? throw ApiStatusException.BadRequest("CustomResourceDefinition has no spec");
        var group = spec["group"]?.GetValue<string>() ?? throw ApiStatusException.BadRequest("spec.group is required");
        var names = spec["names"] as JsonObject ?? throw ApiStatusException.BadRequest("spec.names is required");
        var plural = names["plural"]?.GetValue<string>() ?? throw ApiStatusException.BadRequest("spec.names.plural is required");
        var kind = names["kind"]?.GetValue<string>() ?? throw ApiStatusException.BadRequest("spec.names.kind is required");
        var singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant();
        var namespaced = (spec["scope"]?.GetValue<string>() ?? "Namespaced") == "Namespaced";
        var shortNames = StringList(names["shortNames"]);
        var categories = StringList(names["categories"]);

        UnregisterCrd(plural + "." + group);
        var registered = new List<ResourceType>();
        foreach (var version in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (version["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var versionName = version["name"]!.GetValue<string>();
            var subresources = version["subresources"] as JsonObject ?? spec["subresources"] as JsonObject;
            var schema = (version["schema"] as JsonObject ?? spec["validation"] as JsonObject)?["openAPIV3Schema"] as JsonObject;
            var selectable = (version["selectableFields"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Select(f => f["jsonPath"]?.GetValue<string>().TrimStart('.'))
                .OfType<string>();
            var type = new ResourceType(group, versionName, plural, kind, singular, namespaced,
                HasStatus: subresources?["status"] is not null,
                TracksGeneration: true,
                ReturnsDeletedObject: false,
                AllowUnconditionalUpdate: false,
                IsCustom: true,
                shortNames, categories,
                MetadataFields.Union(selectable).ToFrozenSet(),
                schema);
            Add(type);
            registered.Add(type);
        }

        return registered;
    }

    /// <summary>Stops serving a CRD's resources (the CRD was deleted).</summary>
    public void UnregisterCrd(string crdName)
    {
        foreach (var key in _byPath.Where(p => p.Value.IsCustom && p.Value.QualifiedName == crdName).Select(p => p.Key).ToList())
        {
            _byPath.TryRemove(key, out _);
        }
    }

    private void Add(ResourceType type) => _byPath[(type.Group, type.Version, type.Plural)] = type;

    private static IReadOnlyList<string> StringList(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(n => n!.GetValue<string>())] : [];

    private static ResourceType Core(string plural, string kind, bool namespaced = true, bool status = false, bool generation = false,
        bool returnsObject = false, string[]? shortNames = null, string[]? fields = null) =>
        Builtin("", "v1", plural, kind, namespaced, status, generation, returnsObject, shortNames, fields);

    private static ResourceType Builtin(string group, string version, string plural, string kind, bool namespaced, bool status = false,
        bool generation = false, bool returnsObject = false, string[]? shortNames = null, string[]? fields = null) =>
        new(group, version, plural, kind, kind.ToLowerInvariant(), namespaced, status, generation, returnsObject,
            AllowUnconditionalUpdate: true, IsCustom: false, shortNames ?? [], [],
            MetadataFields.Union(fields ?? []).ToFrozenSet());
}
