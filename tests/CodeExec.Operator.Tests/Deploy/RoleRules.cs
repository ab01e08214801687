using CodeExec.Operator.Hosting;
using k8s.Models;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Compares RBAC rules (a ClusterRole's or Role's, from config/rbac or the chart) with the permissions derived from the
/// operator's code (<see cref="OperatorPermissions.Derive"/>): a rule beyond them, or a wildcard, is a
/// violation; so is a missing one.
/// </summary>
internal static class RoleRules
{
    /// <summary>Every difference between the rules and <paramref name="expected"/>: wildcards, extra and missing grants.</summary>
    public static IReadOnlyList<string> Differences(IEnumerable<V1PolicyRule> rules, IReadOnlyDictionary<(string Group, string Resource), IReadOnlyList<string>> expected)
    {
        var problems = new List<string>();
        var granted = new Dictionary<(string Group, string Resource), HashSet<string>>();
        foreach (var rule in rules)
        {
            if ((rule.NonResourceURLs ?? []).Count > 0) problems.Add($"non-resource URLs granted: {string.Join(", ", rule.NonResourceURLs!)}");
            var groups = rule.ApiGroups ?? [];
            var resources = rule.Resources ?? [];
            var verbs = rule.Verbs ?? [];
            if (groups.Contains("*") || resources.Contains("*") || verbs.Contains("*"))
            {
                problems.Add($"wildcard in rule {string.Join(",", groups)}/{string.Join(",", resources)}: {string.Join(",", verbs)}");
            }

            foreach (var group in groups)
            {
                foreach (var resource in resources)
                {
                    var key = (group, resource);
                    if (!granted.TryGetValue(key, out var set)) granted[key] = set = [];
                    set.UnionWith(verbs);
                }
            }
        }

        foreach (var ((group, resource), verbs) in granted)
        {
            var name = group.Length == 0 ? resource : $"{resource}.{group}";
            if (!expected.TryGetValue((group, resource), out var allowed))
            {
                problems.Add($"{name} is granted but the operator does not use it");
                continue;
            }

            foreach (var extra in verbs.Except(allowed)) problems.Add($"{name}: verb {extra} is granted but not used");
        }

        foreach (var ((group, resource), verbs) in expected)
        {
            var name = group.Length == 0 ? resource : $"{resource}.{group}";
            var have = granted.GetValueOrDefault((group, resource)) ?? [];
            foreach (var missing in verbs.Except(have)) problems.Add($"{name}: verb {missing} is needed but not granted");
        }

        return problems;
    }
}
