using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace CodeExec.Api.Validation;

/// <summary>
/// Checks an object of the API types against the rules its schema attributes declare (the same attributes the CRD
/// generator turns into the OpenAPI schema), with messages worded like the API server's. CEL rules run through
/// <see cref="CelEquivalents"/>; the transition rule <c>self == oldSelf</c> is left to the update check.
/// </summary>
internal sealed class SchemaRuleChecker
{
    private readonly List<ValidationError> _errors = [];

    /// <summary>Checks every field of <paramref name="root"/>, a CodeExecution or CodeRuntime.</summary>
    public static IReadOnlyList<ValidationError> Check(object root)
    {
        var checker = new SchemaRuleChecker();
        checker.CheckObject(root, "");
        return checker._errors;
    }

    /// <summary>CEL rules on the API types that have no C# equivalent (must be empty).</summary>
    public static IReadOnlyList<string> RulesWithoutEquivalent()
    {
        var types = typeof(CodeExecution).Assembly.GetTypes().Where(t => t.Namespace == typeof(CodeExecution).Namespace);
        var rules = types.SelectMany(t => t.GetCustomAttributes<CelRuleAttribute>()
            .Concat(t.GetProperties().SelectMany(p => p.GetCustomAttributes<CelRuleAttribute>())));
        return [.. rules.Select(r => r.Rule)
            .Where(r => r != CelEquivalents.ImmutableRule && !CelEquivalents.Rules.ContainsKey(r))
            .Distinct()];
    }

    private void CheckObject(object value, string path)
    {
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null || property.PropertyType == typeof(V1ObjectMeta))
            {
                continue;
            }

            var fieldPath = path.Length == 0 ? name : path + "." + name;
            var fieldValue = property.GetValue(value);
            if (fieldValue is null)
            {
                if (property.GetCustomAttribute<RequiredFieldAttribute>() is not null)
                {
                    Add(fieldPath, "Required value");
                }

                continue;
            }

            if (fieldValue is IList list)
            {
                CheckList(list, property, fieldPath);
            }
            else
            {
                CheckValue(fieldValue, property, fieldPath);
            }
        }

        CheckRules(value, value.GetType().GetCustomAttributes<CelRuleAttribute>(), path);
    }

    private void CheckList(IList list, PropertyInfo property, string path)
    {
        if (property.GetCustomAttribute<ItemsAttribute>() is { } items)
        {
            if (items.Min >= 0 && list.Count < items.Min)
            {
                Add(path, $"should have at least {items.Min} items");
            }

            if (items.Max >= 0 && list.Count > items.Max)
            {
                Add(path, $"Too many: {list.Count}: must have at most {items.Max} items");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var mapKey = property.GetCustomAttribute<ListMapKeyAttribute>()?.Key;
        var isSet = property.GetCustomAttribute<ListSetAttribute>() is not null;
        for (var i = 0; i < list.Count; i++)
        {
            var item = list[i];
            var itemPath = $"{path}[{i}]";
            if (item is null)
            {
                Add(itemPath, "Required value");
                continue;
            }

            if (item is string)
            {
                CheckValue(item, property, itemPath);
            }
            else
            {
                CheckObject(item, itemPath);
            }

            var identity = mapKey is null ? item as string : KeyOf(item, mapKey);
            if ((mapKey is not null || isSet) && identity is not null && !seen.Add(identity))
            {
                Add(itemPath, mapKey is null ? $"Duplicate value: \"{identity}\"" : $"Duplicate value: {{\"{mapKey}\":\"{identity}\"}}");
            }
        }
    }

    private void CheckValue(object value, PropertyInfo property, string path)
    {
        switch (value)
        {
            case string text:
                CheckString(text, property, path);
                break;
            case int or long:
                CheckNumber(Convert.ToInt64(value, CultureInfo.InvariantCulture), property, path);
                break;
            case ResourceQuantity quantity:
                CheckQuantity(quantity, path);
                return;
            case bool or DateTime or V1Condition:
                break;
            default:
                CheckObject(value, path);
                break;
        }

        CheckRules(value, property.GetCustomAttributes<CelRuleAttribute>(), path);
    }

    private void CheckString(string text, PropertyInfo property, string path)
    {
        var length = text.EnumerateRunes().Count();
        if (property.GetCustomAttribute<LengthAttribute>() is { } bounds)
        {
            if (bounds.Min >= 0 && length < bounds.Min)
            {
                Add(path, $"should be at least {bounds.Min} chars long");
            }

            if (bounds.Max >= 0 && length > bounds.Max)
            {
                Add(path, $"Too long: may not be more than {bounds.Max} bytes");
            }
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern
            && !Regex.IsMatch(text, pattern.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
        {
            Add(path, $"should match '{pattern.Pattern}'");
        }

        if (property.GetCustomAttribute<OneOfAttribute>() is { } oneOf && !oneOf.Values.Contains(text, StringComparer.Ordinal))
        {
            Add(path, $"Unsupported value: \"{text}\": supported values: {string.Join(", ", oneOf.Values.Select(v => $"\"{v}\""))}");
        }
    }

    private void CheckNumber(long number, PropertyInfo property, string path)
    {
        if (property.GetCustomAttribute<RangeAttribute>() is not { } range)
        {
            return;
        }

        if (number < range.Min)
        {
            Add(path, $"should be greater than or equal to {range.Min}");
        }

        if (number > range.Max)
        {
            Add(path, $"should be less than or equal to {range.Max}");
        }
    }

    private void CheckQuantity(ResourceQuantity quantity, string path)
    {
        var text = quantity.ToString() ?? "";
        bool positive;
        try
        {
            positive = Regex.IsMatch(text, ApiConstants.QuantityPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
                && quantity.ToDecimal() > 0;
        }
        catch (FormatException)
        {
            positive = false;
        }
        catch (OverflowException)
        {
            // Larger than decimal can hold: still a positive quantity unless it carries a minus sign.
            positive = !text.StartsWith('-');
        }

        if (!positive)
        {
            Add(path, ValidationMessages.PositiveQuantity);
        }
    }

    private void CheckRules(object value, IEnumerable<CelRuleAttribute> rules, string path)
    {
        foreach (var rule in rules)
        {
            if (rule.Rule == CelEquivalents.ImmutableRule)
            {
                continue;
            }

            if (!CelEquivalents.Rules.TryGetValue(rule.Rule, out var holds))
            {
                throw new InvalidOperationException($"the CEL rule '{rule.Rule}' at {path} has no C# equivalent in CelEquivalents");
            }

            if (!holds(value))
            {
                Add(string.IsNullOrEmpty(rule.FieldPath) ? path : path + rule.FieldPath, rule.Message);
            }
        }
    }

    private static string? KeyOf(object item, string jsonName) =>
        item.GetType().GetProperties()
            .FirstOrDefault(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == jsonName)?
            .GetValue(item) as string;

    private void Add(string path, string message) => _errors.Add(new ValidationError(path, message));
}
