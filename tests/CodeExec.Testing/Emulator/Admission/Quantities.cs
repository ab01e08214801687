using System.Globalization;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// Resource quantities as the admission plugins need them: parsed to an exact decimal, added, compared and printed
/// in the canonical form of apimachinery's <c>resource.Quantity.String()</c> (binary suffixes for Ki/Mi/... values,
/// otherwise the largest decimal SI suffix that keeps an integer mantissa).
/// </summary>
internal readonly record struct Quantity(decimal Value, bool Binary)
{
    private static readonly (string Suffix, decimal Factor)[] BinarySuffixes =
        [("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40), ("Pi", 1L << 50), ("Ei", 1L << 60)];

    private static readonly (string Suffix, int Exponent)[] DecimalSuffixes =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];

    public static Quantity Zero => new(0, false);

    public static Quantity Parse(string text)
    {
        text = text.Trim();
        foreach (var (suffix, factor) in BinarySuffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                return new Quantity(ParseNumber(text[..^suffix.Length]) * factor, true);
            }
        }

        var exponentAt = text.IndexOfAny(['e', 'E']);
        if (exponentAt > 0)
        {
            return new Quantity(ParseNumber(text[..exponentAt]) * Pow10(int.Parse(text[(exponentAt + 1)..], CultureInfo.InvariantCulture)), false);
        }

        foreach (var (suffix, exponent) in DecimalSuffixes)
        {
            if (suffix.Length > 0 && text.EndsWith(suffix, StringComparison.Ordinal))
            {
                return new Quantity(ParseNumber(text[..^suffix.Length]) * Pow10(exponent), false);
            }
        }

        return new Quantity(ParseNumber(text), false);
    }

    /// <summary>A quantity from a JSON value (string or number); null when absent or not a quantity.</summary>
    public static Quantity? From(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        try
        {
            return value.TryGetValue<string>(out var text) ? Parse(text) : Parse(value.ToJsonString());
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Sum keeping the format of the first non-zero operand, as <c>Quantity.Add</c> does.</summary>
    public static Quantity operator +(Quantity left, Quantity right) =>
        new(left.Value + right.Value, left.Value != 0 ? left.Binary : right.Binary);

    public static Quantity Max(Quantity left, Quantity right) => right.Value > left.Value ? right : left;

    /// <summary><c>Quantity.Value()</c>: the value rounded up to an integer.</summary>
    public long CeilingValue => (long)decimal.Ceiling(Value);

    /// <summary><c>Quantity.MilliValue()</c>: the value in thousandths, rounded up.</summary>
    public long CeilingMilliValue => (long)decimal.Ceiling(Value * 1000);

    public override string ToString()
    {
        if (Value == 0)
        {
            return "0";
        }

        if (Binary && decimal.Truncate(Value) == Value)
        {
            var (suffix, factor) = ("", 1m);
            foreach (var candidate in BinarySuffixes)
            {
                if (Value % candidate.Factor == 0)
                {
                    (suffix, factor) = candidate;
                }
            }

            return (Value / factor).ToString("0", CultureInfo.InvariantCulture) + suffix;
        }

        for (var i = DecimalSuffixes.Length - 1; i >= 0; i--)
        {
            var (suffix, exponent) = DecimalSuffixes[i];
            var mantissa = Value / Pow10(exponent);
            if (decimal.Truncate(mantissa) == mantissa)
            {
                return mantissa.ToString("0", CultureInfo.InvariantCulture) + suffix;
            }
        }

        // Finer than a nano: rounded up to whole nanos, as the API server does.
        return decimal.Ceiling(Value * 1_000_000_000m).ToString("0", CultureInfo.InvariantCulture) + "n";
    }

    private static decimal ParseNumber(string text) => decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result *= 10;
        }

        return exponent < 0 ? 1 / result : result;
    }
}

/// <summary>A resource list (<c>requests</c>, <c>limits</c>, <c>hard</c>, <c>used</c>): resource name to quantity, ordered by name.</summary>
internal sealed class ResourceList : SortedDictionary<string, Quantity>
{
    public ResourceList()
        : base(StringComparer.Ordinal)
    {
    }

    public static ResourceList From(JsonNode? node)
    {
        var list = new ResourceList();
        foreach (var (name, value) in node as JsonObject ?? [])
        {
            if (Quantity.From(value) is { } quantity)
            {
                list[name] = quantity;
            }
        }

        return list;
    }

    public void Accumulate(string name, Quantity quantity) => this[name] = TryGetValue(name, out var current) ? current + quantity : quantity;

    public void AccumulateAll(ResourceList other)
    {
        foreach (var (name, quantity) in other)
        {
            Accumulate(name, quantity);
        }
    }

    /// <summary>Only the entries whose names are in <paramref name="names"/> (<c>quota.Mask</c>).</summary>
    public ResourceList Mask(IEnumerable<string> names)
    {
        var result = new ResourceList();
        foreach (var name in names)
        {
            if (TryGetValue(name, out var quantity))
            {
                result[name] = quantity;
            }
        }

        return result;
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (name, quantity) in this)
        {
            json[name] = quantity.ToString();
        }

        return json;
    }

    /// <summary><c>name=quantity</c> pairs joined by commas, sorted by name (the resourcequota plugin's <c>prettyPrint</c>).</summary>
    public string PrettyPrint() => string.Join(",", this.Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>A pod's aggregate requests and limits, as <c>k8s.io/component-helpers/resource</c> computes them.</summary>
internal static class PodResources
{
    /// <summary>
    /// <c>PodRequests</c>: the sum of the containers and the restartable init containers (sidecars), or the largest
    /// init container step if larger, plus <c>spec.overhead</c>.
    /// </summary>
    public static ResourceList Requests(JsonObject spec) => Aggregate(spec, "requests", addOverheadToAll: true);

    /// <summary><c>PodLimits</c>: as <see cref="Requests"/>, with the overhead added only to resources that have a limit.</summary>
    public static ResourceList Limits(JsonObject spec) => Aggregate(spec, "limits", addOverheadToAll: false);

    public static IEnumerable<JsonObject> Containers(JsonObject spec, string list) => (spec[list] as JsonArray ?? []).OfType<JsonObject>();

    public static bool IsSidecar(JsonObject container) => ObjectMeta.GetString(container, "restartPolicy") == "Always";

    private static ResourceList Aggregate(JsonObject spec, string kind, bool addOverheadToAll)
    {
        var total = new ResourceList();
        foreach (var container in Containers(spec, "containers"))
        {
            total.AccumulateAll(ResourceList.From(container["resources"]?[kind]));
        }

        var sidecars = new ResourceList();
        var initMax = new ResourceList();
        foreach (var container in Containers(spec, "initContainers"))
        {
            var own = ResourceList.From(container["resources"]?[kind]);
            ResourceList step;
            if (IsSidecar(container))
            {
                total.AccumulateAll(own);
                sidecars.AccumulateAll(own);
                step = sidecars;
            }
            else
            {
                step = new ResourceList();
                step.AccumulateAll(own);
                step.AccumulateAll(sidecars);
            }

            foreach (var (name, quantity) in step)
            {
                initMax[name] = initMax.TryGetValue(name, out var current) ? Quantity.Max(current, quantity) : quantity;
            }
        }

        foreach (var (name, quantity) in initMax)
        {
            total[name] = total.TryGetValue(name, out var current) ? Quantity.Max(current, quantity) : quantity;
        }

        foreach (var (name, quantity) in ResourceList.From(spec["overhead"]))
        {
            if (addOverheadToAll || total.ContainsKey(name))
            {
                total.Accumulate(name, quantity);
            }
        }

        return total;
    }

    /// <summary>The QoS class (<c>qos.GetPodQOS</c>) from cpu and memory requests and limits.</summary>
    public static string QosClass(JsonObject spec)
    {
        var any = false;
        var guaranteed = true;
        foreach (var container in Containers(spec, "containers").Concat(Containers(spec, "initContainers")))
        {
            var requests = ResourceList.From(container["resources"]?["requests"]);
            var limits = ResourceList.From(container["resources"]?["limits"]);
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var hasRequest = requests.TryGetValue(resource, out var request) && request.Value != 0;
                var hasLimit = limits.TryGetValue(resource, out var limit) && limit.Value != 0;
                any |= hasRequest || hasLimit;
                guaranteed &= hasLimit && (!requests.ContainsKey(resource) || request.Value == limit.Value);
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
