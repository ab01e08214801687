using System.Text.RegularExpressions;

namespace CodeExec.Api.Validation;

/// <summary>
/// The C# form of every CEL rule (<see cref="CelRuleAttribute"/>) on the API types, keyed by the rule's exact text.
/// <see cref="SchemaRuleChecker"/> refuses a rule it has no equivalent for, so a new CEL rule cannot go unchecked.
/// </summary>
internal static class CelEquivalents
{
    /// <summary>The rule that compares a value with its previous version; only an update can check it.</summary>
    public const string ImmutableRule = "self == oldSelf";

    private const string SafeFileNameRule =
        "!self.contains('/') && !self.contains('..') && self.matches('" + ApiConstants.SafeFileNamePattern + "')";

    public static IReadOnlyDictionary<string, Func<object, bool>> Rules { get; } = new Dictionary<string, Func<object, bool>>
    {
        ["has(self.code) != has(self.codeFrom)"] = self => self is CodeExecutionSpec s && (s.Code is null) != (s.CodeFrom is null),
        ["has(self.configMapKeyRef) != has(self.secretKeyRef)"] =
            self => self is CodeSource s && (s.ConfigMapKeyRef is null) != (s.SecretKeyRef is null),
        ["self.matches('" + ApiConstants.DnsSubdomainCelPattern + "')"] = self => Matches(self, ApiConstants.DnsSubdomainCelPattern),
        ["self.matches('" + ApiConstants.EnvNamePattern + "')"] = self => Matches(self, ApiConstants.EnvNamePattern),
        [SafeFileNameRule] = self => self is string name && !name.Contains('/', StringComparison.Ordinal)
            && !name.Contains("..", StringComparison.Ordinal) && Matches(name, ApiConstants.SafeFileNamePattern),
        ["self.mode == 'Egress' ? (has(self.allowedHosts) && size(self.allowedHosts) > 0) : (!has(self.allowedHosts) || size(self.allowedHosts) == 0)"] =
            self => self is NetworkAccess n && (n.Mode == NetworkModes.Egress) == (n.AllowedHosts is { Count: > 0 }),
        ["!self.matches('^[0-9.]+$')"] = self => !Matches(self, "^[0-9.]+$"),
        ["!has(self.egress) || !self.egress.allowed || (has(self.egress.allowedHosts) && size(self.egress.allowedHosts) > 0)"] =
            self => self is CodeRuntimeSpec s && (s.Egress is not { Allowed: true } || s.Egress.AllowedHosts is { Count: > 0 }),
    };

    private static bool Matches(object self, string pattern) =>
        self is string text && Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
