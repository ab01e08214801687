using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>ResourceQuota</c> admission plugin (<c>plugin/pkg/admission/resourcequota</c>, <c>checkRequest</c>) with the
/// pod and object-count evaluators (<c>pkg/quota/v1/evaluator/core/pods.go</c>, <c>generic.ObjectCountEvaluator</c>),
/// and the quota controller's part: each quota's <c>status.hard</c> and <c>status.used</c>, recomputed whenever a
/// quota's spec, a pod, or an object it counts changes (so also when a pod ends or is deleted).
/// <para>
/// Pods: <c>count/pods</c> always, and while not terminal <c>pods</c>, <c>cpu</c>/<c>requests.cpu</c>,
/// <c>memory</c>/<c>requests.memory</c>, <c>limits.cpu</c>, <c>limits.memory</c>, the ephemeral-storage ones (the
/// pod's aggregate requests and limits, overhead included). Scopes (<c>spec.scopes</c> and
/// <c>spec.scopeSelector</c>): Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass (In, NotIn,
/// Exists, DoesNotExist) and CrossNamespacePodAffinity. A quota on cpu or memory requires every container to set it
/// (403 <c>failed quota: q: must specify limits.cpu for: c</c>); a create that would pass <c>hard</c> is 403
/// <c>exceeded quota: q, requested: ..., used: ..., limited: ...</c>. Other kinds: <c>count/&lt;resource&gt;[.&lt;group&gt;]</c>
/// and the legacy names (<c>configmaps</c>, <c>secrets</c>, <c>services</c>, ...), for unscoped quotas.
/// </para>
/// </summary>
internal sealed class ResourceQuotaAdmission : IAdmissionPlugin
{
    private static readonly HashSet<string> ValidationSet = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

    private static readonly HashSet<string> PodResourceNames =
    [
        "count/pods", "pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    ];

    private static readonly HashSet<string> LegacyCounted = ["configmaps", "secrets", "services", "persistentvolumeclaims", "resourcequotas", "replicationcontrollers"];

    private readonly ResourceRegistry _registry;
    private readonly ObjectStore _store;
    private readonly TimeProvider _time;
    private bool _recalculating;

    public ResourceQuotaAdmission(ResourceRegistry registry, ObjectStore store, TimeProvider time)
    {
        _registry = registry;
        _store = store;
        _time = time;
    }

    public string Name => AdmissionPlugins.ResourceQuota;

    private ResourceType Quotas => _registry.Find("", "v1", "resourcequotas")!;

    public void Validate(AdmissionRequest request)
    {
        if (!request.Type.Namespaced)
        {
            return;
        }

        var quotas = _store.List(Quotas.StorageKey, request.Namespace).Items.OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
        if (quotas.Count == 0)
        {
            return;
        }

        var matched = new List<(StoredObject Quota, ResourceList Hard)>();
        foreach (var quota in quotas)
        {
            var hard = ResourceList.From(quota.Object["spec"]?["hard"]);
            var restricted = MatchingResources(request.Type, hard.Keys);
            if (restricted.Count == 0 || !Matches(quota.Object, request.Type, request.Object))
            {
                continue;
            }

            if (request.IsPod && Constraints(restricted, request.Spec) is { } missing)
            {
                throw request.Forbidden($"failed quota: {quota.Name}: {missing}");
            }

            matched.Add((quota, hard));
        }

        if (matched.Count == 0)
        {
            return;
        }

        var delta = Usage(request.Type, request.Object);
        foreach (var (quota, hard) in matched)
        {
            var used = ResourceList.From(quota.Object["status"]?["used"]);
            var requested = delta.Mask(hard.Keys);
            var exceeded = requested
                .Where(r => (used.TryGetValue(r.Key, out var u) ? u.Value : 0) + r.Value.Value > hard[r.Key].Value)
                .Select(r => r.Key)
                .ToList();
            if (exceeded.Count > 0)
            {
                throw request.Forbidden(
                    $"exceeded quota: {quota.Name}, requested: {requested.Mask(exceeded).PrettyPrint()}, used: {used.Mask(exceeded).PrettyPrint()}, limited: {hard.Mask(exceeded).PrettyPrint()}");
            }
        }
    }

    /// <summary>Called (under the store lock) after every commit: keeps the status of the affected quotas current.</summary>
    public void OnCommitted(HistoryEvent e)
    {
        if (_recalculating || e.Object.Namespace.Length == 0)
        {
            return;
        }

        if (e.StorageKey == Quotas.StorageKey)
        {
            var specChanged = e.Type == WatchEventType.Added
                || (e.Type == WatchEventType.Modified && !JsonNode.DeepEquals(e.Old?.Object["spec"], e.Object.Object["spec"]));
            if (specChanged && _store.Get(Quotas.StorageKey, e.Object.Namespace, e.Object.Name) is { } quota)
            {
                Recalculate([quota]);
            }

            return;
        }

        var isPod = e.StorageKey == _registry.Pods.StorageKey;
        if (!isPod && e.Type == WatchEventType.Modified)
        {
            return;
        }

        var quotas = _store.List(Quotas.StorageKey, e.Object.Namespace).Items;
        if (quotas.Count > 0)
        {
            Recalculate(quotas);
        }
    }

    private void Recalculate(IEnumerable<StoredObject> quotas)
    {
        _recalculating = true;
        try
        {
            foreach (var quota in quotas)
            {
                var hard = ResourceList.From(quota.Object["spec"]?["hard"]);
                var used = new ResourceList();
                foreach (var name in hard.Keys)
                {
                    used[name] = Quantity.Zero;
                }

                foreach (var type in _registry.All.Where(t => t.Namespaced).DistinctBy(t => t.StorageKey))
                {
                    var resources = MatchingResources(type, hard.Keys);
                    if (resources.Count == 0)
                    {
                        continue;
                    }

                    foreach (var item in _store.List(type.StorageKey, quota.Namespace).Items)
                    {
                        if (Matches(quota.Object, type, item.Object))
                        {
                            used.AccumulateAll(Usage(type, item.Object).Mask(resources));
                        }
                    }
                }

                var status = new JsonObject { ["hard"] = hard.ToJson(), ["used"] = used.ToJson() };
                if (!JsonNode.DeepEquals(status, quota.Object["status"]))
                {
                    var next = quota.CloneObject();
                    next["status"] = status;
                    _store.Put(Quotas.StorageKey, next, quota);
                }
            }
        }
        finally
        {
            _recalculating = false;
        }
    }

    /// <summary>The resources of <paramref name="hard"/> the evaluator for <paramref name="type"/> accounts for (<c>MatchingResources</c>).</summary>
    private static List<string> MatchingResources(ResourceType type, IEnumerable<string> hard)
    {
        var isPod = type.Group.Length == 0 && type.Plural == "pods";
        var count = CountName(type);
        return [.. hard.Where(name => isPod
            ? PodResourceNames.Contains(name) || name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.", StringComparison.Ordinal)
            : name == count || (type.Group.Length == 0 && LegacyCounted.Contains(name) && name == type.Plural))];
    }

    private static string CountName(ResourceType type) => "count/" + type.QualifiedName;

    /// <summary><c>generic.Matches</c>: every scope of the quota matches the object (object counts match no scope).</summary>
    private bool Matches(JsonObject quota, ResourceType type, JsonObject obj)
    {
        var selectors = new List<(string Scope, string Operator, string[] Values)>();
        foreach (var scope in (quota["spec"]?["scopes"] as JsonArray ?? []).Select(s => s?.GetValue<string>()).OfType<string>())
        {
            selectors.Add((scope, "Exists", []));
        }

        foreach (var expression in (quota["spec"]?["scopeSelector"]?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            selectors.Add((ObjectMeta.GetString(expression, "scopeName") ?? "", ObjectMeta.GetString(expression, "operator") ?? "",
                [.. (expression["values"] as JsonArray ?? []).Select(v => v?.GetValue<string>()).OfType<string>()]));
        }

        if (selectors.Count == 0)
        {
            return true;
        }

        var isPod = type.Group.Length == 0 && type.Plural == "pods";
        return isPod && selectors.All(s => PodMatchesScope(s.Scope, s.Operator, s.Values, obj["spec"] as JsonObject ?? []));
    }

    /// <summary><c>podMatchesScopeFunc</c>.</summary>
    private static bool PodMatchesScope(string scope, string op, string[] values, JsonObject spec)
    {
        var priorityClass = ObjectMeta.GetString(spec, "priorityClassName") ?? "";
        return scope switch
        {
            "Terminating" => ObjectMeta.GetLong(spec, "activeDeadlineSeconds") >= 0,
            "NotTerminating" => !(ObjectMeta.GetLong(spec, "activeDeadlineSeconds") >= 0),
            "BestEffort" => PodResources.QosClass(spec) == "BestEffort",
            "NotBestEffort" => PodResources.QosClass(spec) != "BestEffort",
            "PriorityClass" => op switch
            {
                "Exists" => priorityClass.Length > 0,
                "DoesNotExist" => priorityClass.Length == 0,
                "In" => priorityClass.Length > 0 && values.Contains(priorityClass),
                "NotIn" => priorityClass.Length == 0 || !values.Contains(priorityClass),
                _ => false,
            },
            "CrossNamespacePodAffinity" => UsesCrossNamespaceAffinity(spec),
            _ => false,
        };
    }

    private static bool UsesCrossNamespaceAffinity(JsonObject spec)
    {
        foreach (var kind in new[] { "podAffinity", "podAntiAffinity" })
        {
            var affinity = spec["affinity"]?[kind] as JsonObject;
            var terms = (affinity?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>()
                .Concat((affinity?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(w => w["podAffinityTerm"] as JsonObject).OfType<JsonObject>());
            if (terms.Any(t => t["namespaces"] is JsonArray { Count: > 0 } || t["namespaceSelector"] is not null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>podEvaluator.Constraints</c>: each container must set the cpu/memory requests and limits the quota tracks.</summary>
    private static string? Constraints(List<string> restricted, JsonObject spec)
    {
        var required = restricted.Where(ValidationSet.Contains).ToHashSet();
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var container in PodResources.Containers(spec, "containers").Concat(PodResources.Containers(spec, "initContainers")))
        {
            var requests = ResourceList.From(container["resources"]?["requests"]);
            var limits = ResourceList.From(container["resources"]?["limits"]);
            var has = ComputeUsage(requests, limits).Keys;
            foreach (var name in required.Except(has))
            {
                if (!missing.TryGetValue(name, out var names))
                {
                    missing[name] = names = new SortedSet<string>(StringComparer.Ordinal);
                }

                names.Add(ObjectMeta.GetString(container, "name") ?? "");
            }
        }

        return missing.Count == 0 ? null : "must specify " + string.Join("; ", missing.Select(m => $"{m.Key} for: {string.Join(",", m.Value)}"));
    }

    /// <summary><c>podComputeUsageHelper</c>.</summary>
    private static ResourceList ComputeUsage(ResourceList requests, ResourceList limits)
    {
        var result = new ResourceList { ["pods"] = new Quantity(1, false) };
        foreach (var resource in new[] { "cpu", "memory", "ephemeral-storage" })
        {
            if (requests.TryGetValue(resource, out var request))
            {
                result[resource] = request;
                result["requests." + resource] = request;
            }

            if (limits.TryGetValue(resource, out var limit))
            {
                result["limits." + resource] = limit;
            }
        }

        foreach (var (name, request) in requests)
        {
            if (name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                result[name] = request;
                result["requests." + name] = request;
            }
            else if (name.Contains('/', StringComparison.Ordinal) && !name.StartsWith("kubernetes.io/", StringComparison.Ordinal))
            {
                result["requests." + name] = request;
            }
        }

        return result;
    }

    /// <summary>What one object costs: <c>PodUsageFunc</c> for pods, one of its count for other kinds.</summary>
    private ResourceList Usage(ResourceType type, JsonObject obj)
    {
        var usage = new ResourceList { [CountName(type)] = new Quantity(1, false) };
        if (type.Group.Length == 0 && LegacyCounted.Contains(type.Plural))
        {
            usage[type.Plural] = new Quantity(1, false);
        }

        if (type.Group.Length == 0 && type.Plural == "pods" && IsCharged(obj))
        {
            var spec = obj["spec"] as JsonObject ?? [];
            usage.AccumulateAll(ComputeUsage(PodResources.Requests(spec), PodResources.Limits(spec)));
        }

        return usage;
    }

    /// <summary><c>QuotaV1Pod</c>: a pod is charged unless terminal, or deleting past its grace period.</summary>
    private bool IsCharged(JsonObject pod)
    {
        if (ObjectMeta.GetString(pod["status"] as JsonObject, "phase") is "Succeeded" or "Failed")
        {
            return false;
        }

        var metadata = ObjectMeta.Metadata(pod);
        if (ObjectMeta.GetString(metadata, "deletionTimestamp") is { } deletion
            && DateTimeOffset.TryParse(deletion, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            var grace = ObjectMeta.GetLong(metadata, "deletionGracePeriodSeconds") ?? 0;
            return _time.GetUtcNow() < at.AddSeconds(grace);
        }

        return true;
    }
}
