using System.Globalization;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>LimitRanger</c> admission plugin (<c>plugin/pkg/admission/limitranger/admission.go</c>) for pods, with every
/// LimitRange of the namespace. <c>Admit</c> (<c>PodMutateLimitFunc</c>): each container without a request or limit
/// for a resource gets the <c>Container</c> item's <c>defaultRequest</c> / <c>default</c>, recorded in the
/// <c>kubernetes.io/limit-ranger</c> annotation. <c>Validate</c> (<c>PodValidateLimitFunc</c>): <c>min</c>,
/// <c>max</c> and <c>maxLimitRequestRatio</c> per Container (each container and init container) and per Pod (the
/// pod's aggregate), refused with 403 and upstream's messages (<c>minConstraint</c>, <c>maxConstraint</c>,
/// <c>limitRequestRatioConstraint</c>). The LimitRange API defaults (<c>SetDefaults_LimitRangeItem</c>: default from
/// max, defaultRequest from default or min) are applied when the plugin reads a LimitRange.
/// </summary>
internal sealed class LimitRangerAdmission(ResourceRegistry registry, ObjectStore store) : IAdmissionPlugin
{
    public const string Annotation = "kubernetes.io/limit-ranger";

    public string Name => AdmissionPlugins.LimitRanger;

    public void Admit(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec)
        {
            return;
        }

        foreach (var item in Items(request.Namespace).Where(i => ObjectMeta.GetString(i, "type") == "Container"))
        {
            var defaultLimits = ResourceList.From(item["default"]);
            var defaultRequests = ResourceList.From(item["defaultRequest"]);
            var notes = new List<string>();
            foreach (var (list, prefix) in new[] { ("initContainers", "init container"), ("containers", "container") })
            {
                foreach (var container in PodResources.Containers(spec, list))
                {
                    Merge(container, defaultRequests, defaultLimits, prefix, notes);
                }
            }

            if (notes.Count > 0)
            {
                var metadata = ObjectMeta.Metadata(request.Object);
                if (metadata["annotations"] is not JsonObject annotations)
                {
                    annotations = [];
                    metadata["annotations"] = annotations;
                }

                annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
            }
        }
    }

    public void Validate(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec)
        {
            return;
        }

        var errors = new List<string>();
        foreach (var item in Items(request.Namespace))
        {
            var type = ObjectMeta.GetString(item, "type");
            if (type == "Container")
            {
                foreach (var container in PodResources.Containers(spec, "containers").Concat(PodResources.Containers(spec, "initContainers")))
                {
                    Check(item, type, ResourceList.From(container["resources"]?["requests"]), ResourceList.From(container["resources"]?["limits"]), errors);
                }
            }
            else if (type == "Pod")
            {
                Check(item, type, PodResources.Requests(spec), PodResources.Limits(spec), errors);
            }
        }

        if (errors.Count > 0)
        {
            // utilerrors.NewAggregate: one error as is, several in brackets.
            throw request.Forbidden(errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]");
        }
    }

    private static void Merge(JsonObject container, ResourceList defaultRequests, ResourceList defaultLimits, string prefix, List<string> notes)
    {
        if (container["resources"] is not JsonObject resources)
        {
            resources = [];
            container["resources"] = resources;
        }

        var setRequests = Fill(resources, "requests", defaultRequests);
        var setLimits = Fill(resources, "limits", defaultLimits);
        var name = ObjectMeta.GetString(container, "name");
        if (setRequests.Count > 0)
        {
            notes.Add($"{string.Join(", ", setRequests)} request for {prefix} {name}");
        }

        if (setLimits.Count > 0)
        {
            notes.Add($"{string.Join(", ", setLimits)} limit for {prefix} {name}");
        }
    }

    private static List<string> Fill(JsonObject resources, string kind, ResourceList defaults)
    {
        var set = new List<string>();
        if (defaults.Count == 0)
        {
            return set;
        }

        if (resources[kind] is not JsonObject values)
        {
            values = [];
            resources[kind] = values;
        }

        foreach (var (name, quantity) in defaults)
        {
            if (values[name] is null)
            {
                values[name] = quantity.ToString();
                set.Add(name);
            }
        }

        return set;
    }

    private static void Check(JsonObject item, string type, ResourceList requests, ResourceList limits, List<string> errors)
    {
        foreach (var (name, min) in ResourceList.From(item["min"]))
        {
            var hasRequest = requests.TryGetValue(name, out var request);
            var hasLimit = limits.TryGetValue(name, out var limit);
            if (!hasRequest)
            {
                errors.Add($"minimum {name} usage per {type} is {min}.  No request is specified");
            }
            else if (Observed(request, min) < Observed(min, min))
            {
                errors.Add($"minimum {name} usage per {type} is {min}, but request is {request}");
            }
            else if (hasLimit && Observed(limit, min) < Observed(min, min))
            {
                errors.Add($"minimum {name} usage per {type} is {min}, but limit is {limit}");
            }
        }

        foreach (var (name, max) in ResourceList.From(item["max"]))
        {
            var hasRequest = requests.TryGetValue(name, out var request);
            var hasLimit = limits.TryGetValue(name, out var limit);
            if (!hasLimit)
            {
                errors.Add($"maximum {name} usage per {type} is {max}.  No limit is specified");
            }
            else if (Observed(limit, max) > Observed(max, max))
            {
                errors.Add($"maximum {name} usage per {type} is {max}, but limit is {limit}");
            }
            else if (hasRequest && Observed(request, max) > Observed(max, max))
            {
                errors.Add($"maximum {name} usage per {type} is {max}, but request is {request}");
            }
        }

        foreach (var (name, ratio) in ResourceList.From(item["maxLimitRequestRatio"]))
        {
            var hasRequest = requests.TryGetValue(name, out var request);
            var hasLimit = limits.TryGetValue(name, out var limit);
            if (!hasRequest || request.Value == 0)
            {
                errors.Add($"{name} max limit to request ratio per {type} is {ratio}, but no request is specified or request is 0");
                continue;
            }

            if (!hasLimit || limit.Value == 0)
            {
                errors.Add($"{name} max limit to request ratio per {type} is {ratio}, but no limit is specified or limit is 0");
                continue;
            }

            var observed = limit.Value / request.Value;
            if (observed > ratio.Value)
            {
                errors.Add($"{name} max limit to request ratio per {type} is {ratio}, but provided ratio is {observed.ToString("0.000000", CultureInfo.InvariantCulture)}");
            }
        }
    }

    /// <summary>
    /// <c>requestLimitEnforcedValues</c>: values compared in thousandths when the enforced value allows it, else whole
    /// units (both rounded up, as <c>MilliValue</c>/<c>Value</c> do).
    /// </summary>
    private static long Observed(Quantity value, Quantity enforced) =>
        enforced.CeilingValue <= long.MaxValue / 1000 ? value.CeilingMilliValue : value.CeilingValue;

    /// <summary>The namespace's LimitRange items, with the LimitRange API defaults applied.</summary>
    private List<JsonObject> Items(string @namespace)
    {
        var limitRanges = registry.Find("", "v1", "limitranges")!;
        var items = new List<JsonObject>();
        foreach (var limitRange in store.List(limitRanges.StorageKey, @namespace).Items.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            foreach (var item in (limitRange.Object["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var copy = (JsonObject)item.DeepClone();
                if (ObjectMeta.GetString(copy, "type") == "Container")
                {
                    DefaultFrom(copy, "default", "max");
                    DefaultFrom(copy, "defaultRequest", "default");
                    DefaultFrom(copy, "defaultRequest", "min");
                }

                items.Add(copy);
            }
        }

        return items;
    }

    private static void DefaultFrom(JsonObject item, string target, string source)
    {
        if (item[source] is not JsonObject from)
        {
            return;
        }

        if (item[target] is not JsonObject to)
        {
            to = [];
            item[target] = to;
        }

        foreach (var (name, value) in from)
        {
            to[name] ??= value?.DeepClone();
        }
    }
}
