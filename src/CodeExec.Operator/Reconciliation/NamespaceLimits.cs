using System.Globalization;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// What the active sandboxes of one namespace may use at once: the defaults of <see cref="ExecutionOptions"/>, each
/// overridden by an annotation on the Namespace object. Namespaces are cluster-scoped: only who may update (or create)
/// Namespaces can set these; unless <see cref="ExecutionOptions.NamespaceAnnotationsMayRaise"/> is on, an annotation can
/// only lower a limit, since self-service namespace tools give tenants that right.
/// </summary>
/// <param name="MaxActive">Most active sandbox Pods; 0 means no limit.</param>
/// <param name="MaxCpu">Most CPU cores of their limits added up; null means no limit.</param>
/// <param name="MaxMemory">Most bytes of memory of their limits added up; null means no limit.</param>
internal sealed record NamespaceLimits(int MaxActive, decimal? MaxCpu, decimal? MaxMemory)
{
    /// <summary>Overrides <see cref="ExecutionOptions.MaxActivePerNamespace"/> (a whole number; 0 means no limit).</summary>
    public const string MaxActiveAnnotation = "codeexec.dev/max-active-executions";

    /// <summary>Overrides <see cref="ExecutionOptions.MaxCpuPerNamespace"/> (a quantity; empty means no limit).</summary>
    public const string MaxCpuAnnotation = "codeexec.dev/max-cpu";

    /// <summary>Overrides <see cref="ExecutionOptions.MaxMemoryPerNamespace"/> (a quantity; empty means no limit).</summary>
    public const string MaxMemoryAnnotation = "codeexec.dev/max-memory";

    /// <summary>
    /// The limits of <paramref name="namespaceObject"/> (null when it is not known: the defaults apply). An annotation
    /// that is not a valid value is ignored and named in <paramref name="problems"/>, so the default applies.
    /// Invalid defaults (from configuration) are refused at start by <see cref="Validate"/>.
    /// </summary>
    public static NamespaceLimits Resolve(ExecutionOptions options, V1Namespace? namespaceObject, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(options);
        var found = new List<string>();
        var annotations = namespaceObject?.Metadata?.Annotations;
        var maxActive = options.MaxActivePerNamespace;
        if (annotations?.TryGetValue(MaxActiveAnnotation, out var active) == true)
        {
            if (int.TryParse(active, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                // 0 is no limit: the highest value there is.
                var lowers = maxActive == 0 ? value > 0 : value > 0 && value <= maxActive;
                if (lowers || options.NamespaceAnnotationsMayRaise)
                {
                    maxActive = value;
                }
                else if (value != maxActive)
                {
                    found.Add(RaiseIgnored(MaxActiveAnnotation, active));
                }
            }
            else
            {
                found.Add($"annotation {MaxActiveAnnotation}=\"{active}\" is not a whole number of 0 or more");
            }
        }

        var cpu = Quantity(annotations, MaxCpuAnnotation, options.MaxCpuPerNamespace, options.NamespaceAnnotationsMayRaise, found);
        var memory = Quantity(annotations, MaxMemoryAnnotation, options.MaxMemoryPerNamespace, options.NamespaceAnnotationsMayRaise, found);
        problems = found;
        return new NamespaceLimits(maxActive, cpu, memory);
    }

    /// <summary>Problems of the configured defaults (quantities that do not parse or are negative), empty when valid.</summary>
    public static IReadOnlyList<string> Validate(ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.MaxActivePerNamespace < 0)
        {
            problems.Add("Executions:MaxActivePerNamespace must be 0 (no limit) or more");
        }

        foreach (var (name, value) in new[] { ("MaxCpuPerNamespace", options.MaxCpuPerNamespace), ("MaxMemoryPerNamespace", options.MaxMemoryPerNamespace) })
        {
            if (!string.IsNullOrWhiteSpace(value) && Parse(value) is null)
            {
                problems.Add($"Executions:{name} \"{value}\" is not a quantity of 0 or more");
            }
        }

        return problems;
    }

    private static decimal? Quantity(IDictionary<string, string>? annotations, string annotation, string? fallback, bool mayRaise, List<string> problems)
    {
        var limit = string.IsNullOrWhiteSpace(fallback) ? null : Parse(fallback);
        if (annotations?.TryGetValue(annotation, out var text) != true)
        {
            return limit;
        }

        // Empty is no limit: the highest value there is.
        decimal? value;
        if (string.IsNullOrWhiteSpace(text))
        {
            value = null;
        }
        else if (Parse(text) is { } parsed)
        {
            value = parsed;
        }
        else
        {
            problems.Add($"annotation {annotation}=\"{text}\" is not a quantity of 0 or more");
            return limit;
        }

        var lowers = value is { } v && (limit is null || v <= limit);
        if (lowers || mayRaise)
        {
            return value;
        }

        if (value != limit)
        {
            problems.Add(RaiseIgnored(annotation, text));
        }

        return limit;
    }

    private static string RaiseIgnored(string annotation, string? text) =>
        $"annotation {annotation}=\"{text}\" would raise the operator's limit and is ignored (Operator:Executions:NamespaceAnnotationsMayRaise is off)";

    private static decimal? Parse(string text) =>
        Quantities.TryParse(text.Trim(), out var value) && value >= 0 ? value : null;
}
