using k8s.Models;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The API permissions the operator uses, per (API group, resource): the single source both the kustomize and the Helm
/// ClusterRole are checked against. A rule beyond this list, or a wildcard, is a violation; so is a missing one. The
/// list itself is proven by OperatorApiAccessTests, which records the requests the operator makes and compares.
/// </summary>
internal static class OperatorPermissions
{
    public static readonly IReadOnlyDictionary<(string Group, string Resource), string[]> ClusterWide =
        new Dictionary<(string Group, string Resource), string[]>
        {
            [("codeexec.dev", "codeexecutions")] = ["get", "list", "watch", "delete"],
            [("codeexec.dev", "codeexecutions/status")] = ["update"],
            // blockOwnerDeletion on children needs it under the OwnerReferencesPermissionEnforcement admission plugin.
            [("codeexec.dev", "codeexecutions/finalizers")] = ["update"],
            [("codeexec.dev", "coderuntimes")] = ["list", "watch"],
            [("", "pods")] = ["get", "list", "watch", "create", "delete"],
            [("", "pods/log")] = ["get"],
            [("", "configmaps")] = ["get", "create", "delete"],
            [("", "secrets")] = ["get", "create", "delete"],
            [("networking.k8s.io", "networkpolicies")] = ["get", "list", "watch", "create", "delete"],
            [("", "events")] = ["create"],
            // Per-namespace limits of executions: the Namespace's codeexec.dev/ annotations, watched and cached.
            [("", "namespaces")] = ["list", "watch"],
            // The ResourceQuota codeexec-sandbox in each namespace with sandboxes: created once, never read, updated or deleted.
            [("", "resourcequotas")] = ["create"],
        };

    public static readonly IReadOnlyDictionary<(string Group, string Resource), string[]> LeaderElection =
        new Dictionary<(string Group, string Resource), string[]>
        {
            [("coordination.k8s.io", "leases")] = ["get", "create", "update"],
        };

    /// <summary>Every difference between the rules and <paramref name="expected"/>: wildcards, extra and missing grants.</summary>
    public static IReadOnlyList<string> Differences(IEnumerable<V1PolicyRule> rules, IReadOnlyDictionary<(string Group, string Resource), string[]> expected)
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
