using System.Globalization;
using System.Text;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// One field error as apimachinery's <c>field.Error</c> reports it: the cause type (<c>FieldValueInvalid</c>...),
/// the field path and the body (<c>ErrorBody()</c>: "Invalid value: \"x\": detail").
/// </summary>
internal sealed record MetaFieldError(string Type, string Field, string Body)
{
    /// <summary>The error's text in a Status message: <c>field: body</c> (<c>field.Error.Error()</c>).</summary>
    public override string ToString() => Field + ": " + Body;
}

/// <summary>A value already formatted the way Go's <c>%#v</c> or a <c>String()</c> method prints it.</summary>
internal sealed record RawValue(string Text);

/// <summary>
/// The constructors of apimachinery's <c>k8s.io/apimachinery/pkg/util/validation/field</c> (Required, Invalid,
/// Forbidden, Duplicate, NotSupported, TooLong, TooMany), with the same bodies: string values are quoted as Go's
/// <c>%q</c> does, numbers and booleans printed plainly, and <see cref="RawValue"/> as given.
/// </summary>
internal static class FieldErrors
{
    public static MetaFieldError Required(string field, string detail) =>
        new("FieldValueRequired", field, WithDetail("Required value", detail));

    public static MetaFieldError Invalid(string field, object? value, string detail) =>
        new("FieldValueInvalid", field, WithDetail("Invalid value: " + FormatValue(value), detail));

    public static MetaFieldError Forbidden(string field, string detail) =>
        new("FieldValueForbidden", field, WithDetail("Forbidden", detail));

    public static MetaFieldError Duplicate(string field, object? value) =>
        new("FieldValueDuplicate", field, "Duplicate value: " + FormatValue(value));

    /// <summary>field.NotSupported: the value and the quoted supported values.</summary>
    public static MetaFieldError NotSupported(string field, object? value, IEnumerable<string> supported)
    {
        var list = string.Join(", ", supported.Select(GoQuote));
        return new("FieldValueNotSupported", field, WithDetail("Unsupported value: " + FormatValue(value), list.Length == 0 ? "" : "supported values: " + list));
    }

    /// <summary>field.TooLong: the value is never shown.</summary>
    public static MetaFieldError TooLong(string field, int maxLength) =>
        new("FieldValueTooLong", field, string.Create(CultureInfo.InvariantCulture, $"Too long: must have at most {maxLength} bytes"));

    public static MetaFieldError TooMany(string field, int actual, int max) =>
        new("FieldValueTooMany", field, string.Create(CultureInfo.InvariantCulture, $"Too many: {actual}: must have at most {max} items"));

    /// <summary>ValidateImmutableField's error: "Invalid value: ...: field is immutable".</summary>
    public static MetaFieldError Immutable(string field, object? value) => Invalid(field, value, "field is immutable");

    private static string WithDetail(string head, string detail) => detail.Length == 0 ? head : head + ": " + detail;

    /// <summary>How <c>field.Error.ErrorBody</c> prints a bad value.</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "\"null\"",
        string text => GoQuote(text),
        bool flag => flag ? "true" : "false",
        RawValue raw => raw.Text,
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Go's <c>%#v</c> of a <c>[]string</c>: <c>[]string{"a", "b"}</c>.</summary>
    public static RawValue GoStringSlice(IEnumerable<string> values, string typeName = "string") =>
        new("[]" + typeName + "{" + string.Join(", ", values.Select(GoQuote)) + "}");

    /// <summary>Go's <c>strconv.Quote</c> (what <c>%q</c> prints) for the characters API values hold.</summary>
    public static string GoQuote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\a': builder.Append("\\a"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\v': builder.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
                    }
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
                        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse)
                    {
                        builder.Append(rune.Value > 0xffff
                            ? string.Create(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}")
                            : string.Create(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}"));
                    }
                    else
                    {
                        builder.Append(rune.ToString());
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>A path step for a map key: <c>data[key]</c> (<c>field.Path.Key</c>).</summary>
    public static string Key(string path, string key) => path + "[" + key + "]";

    /// <summary>A path step for a list index: <c>ports[0]</c> (<c>field.Path.Index</c>).</summary>
    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
}
