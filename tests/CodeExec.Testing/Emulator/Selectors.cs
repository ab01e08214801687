using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>A parsed label selector: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>.</summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private readonly List<(string Key, Op Op, string[] Values)> _requirements;

    private LabelSelector(List<(string Key, Op Op, string[] Values)> requirements) => _requirements = requirements;

    public static LabelSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var requirements = new List<(string, Op, string[])>();
        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            requirements.Add(ParseTerm(term));
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(JsonObject? labels)
    {
        foreach (var (key, op, values) in _requirements)
        {
            var value = labels?[key]?.GetValue<string>();
            var ok = op switch
            {
                Op.Equals => value == values[0],
                Op.NotEquals => value != values[0],
                Op.In => value is not null && values.Contains(value),
                Op.NotIn => value is null || !values.Contains(value),
                Op.Exists => value is not null,
                Op.DoesNotExist => value is null,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static (string, Op, string[]) ParseTerm(string term)
    {
        if (term.StartsWith('!'))
        {
            return (ValidKey(term[1..].Trim(), term), Op.DoesNotExist, []);
        }

        var setMatch = System.Text.RegularExpressions.Regex.Match(term, @"^(\S+)\s+(in|notin)\s*\((.*)\)$");
        if (setMatch.Success)
        {
            var values = setMatch.Groups[3].Value.Split(',').Select(v => v.Trim()).ToArray();
            return (ValidKey(setMatch.Groups[1].Value, term), setMatch.Groups[2].Value == "in" ? Op.In : Op.NotIn, values);
        }

        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var at = term.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                return (ValidKey(term[..at].Trim(), term), op, [term[(at + token.Length)..].Trim()]);
            }
        }

        return (ValidKey(term, term), Op.Exists, []);
    }

    private static string ValidKey(string key, string term)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
        {
            throw ApiStatusException.BadRequest($"unable to parse requirement: found '{term}', expected: identifier");
        }

        return key;
    }

    /// <summary>Splits on commas that are not inside a value set's parentheses.</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }
}

/// <summary>A parsed field selector (<c>f=v</c>, <c>f==v</c>, <c>f!=v</c>) checked against the fields a resource supports.</summary>
internal sealed class FieldSelector
{
    private readonly List<(string[] Path, bool Equal, string Value)> _requirements;

    private FieldSelector(List<(string[] Path, bool Equal, string Value)> requirements) => _requirements = requirements;

    public static FieldSelector? Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var requirements = new List<(string[], bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            var (field, equal, value) = term.IndexOf("!=", StringComparison.Ordinal) is var ne and > 0
                ? (term[..ne], false, term[(ne + 2)..])
                : term.IndexOf("==", StringComparison.Ordinal) is var eq2 and > 0
                    ? (term[..eq2], true, term[(eq2 + 2)..])
                    : term.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                        ? (term[..eq], true, term[(eq + 1)..])
                        : throw ApiStatusException.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            field = field.Trim();
            if (!type.SelectableFields.Contains(field))
            {
                throw ApiStatusException.BadRequest($"field label not supported: {field}");
            }

            requirements.Add((field.Split('.'), equal, value.Trim()));
        }

        return new FieldSelector(requirements);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in _requirements)
        {
            JsonNode? node = obj;
            foreach (var segment in path)
            {
                node = (node as JsonObject)?[segment];
            }

            var actual = node switch
            {
                null => "",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                _ => node.ToJsonString(),
            };
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }
}
