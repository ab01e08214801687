using System.Globalization;
using System.Text;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>The kinds of field error kube-apiserver reports (apimachinery <c>field.ErrorType</c>).</summary>
internal enum FieldErrorType
{
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
}

/// <summary>
/// One validation failure, as apimachinery's <c>field.Error</c>: a field path (<c>spec.containers[0].name</c>), a type,
/// the rejected value as the API server prints it (already formatted; null when the type prints no value) and a detail.
/// <see cref="Body"/> is the text of a cause (<c>field.Error.ErrorBody</c>), <see cref="ToString"/> the full
/// <c>field: body</c> line that goes into the Status message.
/// </summary>
internal sealed record FieldError(FieldErrorType Type, string Field, string? Value, string Detail)
{
    /// <summary>The cause's <c>reason</c> in a Status (<c>metav1.CauseType</c>).</summary>
    public string Reason => Type switch
    {
        FieldErrorType.NotFound => "FieldValueNotFound",
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.TooMany => "FieldValueTooMany",
        _ => throw new InvalidOperationException(Type.ToString()),
    };

    /// <summary>The prefix each type starts its text with (<c>field.ErrorType.String</c>).</summary>
    public string Prefix => Type switch
    {
        FieldErrorType.NotFound => "Not found",
        FieldErrorType.Required => "Required value",
        FieldErrorType.Duplicate => "Duplicate value",
        FieldErrorType.Invalid => "Invalid value",
        FieldErrorType.NotSupported => "Unsupported value",
        FieldErrorType.Forbidden => "Forbidden",
        FieldErrorType.TooLong => "Too long",
        FieldErrorType.TooMany => "Too many",
        _ => throw new InvalidOperationException(Type.ToString()),
    };

    /// <summary>The cause text: the prefix, the value for the types that show one, then the detail.</summary>
    public string Body
    {
        get
        {
            var showsValue = Type is not (FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.TooLong) && Value is not null;
            var body = showsValue ? $"{Prefix}: {Value}" : Prefix;
            return Detail.Length == 0 ? body : $"{body}: {Detail}";
        }
    }

    public override string ToString() => $"{Field}: {Body}";

    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, null, detail);

    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, null, detail);

    public static FieldError NotFound(string field, string value) => new(FieldErrorType.NotFound, field, Quote(value), "");

    public static FieldError Duplicate(string field, string value) => new(FieldErrorType.Duplicate, field, Quote(value), "");

    /// <summary>An invalid string value, printed quoted as Go's <c>%q</c> does.</summary>
    public static FieldError Invalid(string field, string value, string detail) => new(FieldErrorType.Invalid, field, Quote(value), detail);

    /// <summary>An invalid integer value, printed bare.</summary>
    public static FieldError Invalid(string field, long value, string detail) =>
        new(FieldErrorType.Invalid, field, value.ToString(CultureInfo.InvariantCulture), detail);

    /// <summary>An invalid value already formatted the way the API server prints its Go type (a list, a struct, a bare name).</summary>
    public static FieldError InvalidFormatted(string field, string formattedValue, string detail) =>
        new(FieldErrorType.Invalid, field, formattedValue, detail);

    /// <summary>A value outside a fixed set: "supported values: "A", "B"" (<c>field.NotSupported</c>).</summary>
    public static FieldError NotSupported(string field, string value, IEnumerable<string> supported)
    {
        var list = string.Join(", ", supported.Select(Quote));
        return new(FieldErrorType.NotSupported, field, Quote(value), list.Length == 0 ? "" : "supported values: " + list);
    }

    /// <summary>A value longer than allowed; the value itself is never printed (<c>field.TooLong</c>).</summary>
    public static FieldError TooLong(string field, int maxLength) =>
        new(FieldErrorType.TooLong, field, null, $"may not be more than {maxLength} {(maxLength == 1 ? "byte" : "bytes")}");

    /// <summary>A list with more items than allowed (<c>field.TooMany</c>).</summary>
    public static FieldError TooMany(string field, int actual, int max) =>
        new(FieldErrorType.TooMany, field, actual.ToString(CultureInfo.InvariantCulture), $"must have at most {max} {(max == 1 ? "item" : "items")}");

    /// <summary>A string quoted as Go's <c>%q</c> prints it.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < 0x20 or 0x7f: text.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}"); break;
                default: text.Append(rune.ToString()); break;
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>A list of strings as Go's <c>%#v</c> prints a <c>[]string</c>.</summary>
    public static string GoStringList(IEnumerable<string> values) => "[]string{" + string.Join(", ", values.Select(Quote)) + "}";
}

/// <summary>Builds field paths the way apimachinery's <c>field.Path</c> prints them.</summary>
internal static class FieldPath
{
    public static string Child(this string path, string name) => path.Length == 0 ? name : path + "." + name;

    public static string Index(this string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    public static string Key(this string path, string key) => path + "[" + key + "]";
}

/// <summary>Turns a list of field errors into the API server's answer.</summary>
internal static class FieldErrorListExtensions
{
    /// <summary>
    /// Throws the 422 Invalid Status kube-apiserver sends for these errors (<c>errors.NewInvalid</c>): one cause per
    /// error, and the message <c>Kind "name" is invalid: [field: body, ...]</c>. Does nothing for an empty list.
    /// </summary>
    public static void ThrowIfInvalid(this IReadOnlyList<FieldError> errors, ResourceType type, string name)
    {
        if (errors.Count == 0)
        {
            return;
        }

        // Every error is a cause; the message lists each distinct text once (field.ErrorList.ToAggregate).
        var invalid = ApiStatusException.Invalid(type, name, [.. errors.Select(e => (e.Field, e.Reason, e.Body))]);
        var distinct = errors.Select(e => e.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var summary = distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
        throw new ApiStatusException(invalid.Code, invalid.Reason, $"{type.Kind} \"{name}\" is invalid: {summary}", invalid.Details);
    }
}
