namespace CodeExec.Api;

// Attributes that carry OpenAPI validation from the C# types into the generated CRD schema.
// Only the CRD generator reads them. On a property that is a list of strings, Length, Pattern, OneOf and CelRule
// describe each item, and Items describes the list.

/// <summary>The property must be present (OpenAPI <c>required</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;

/// <summary>String length bounds (OpenAPI <c>minLength</c>/<c>maxLength</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LengthAttribute(int min = -1, int max = -1) : Attribute
{
    public int Min { get; } = min;
    public int Max { get; } = max;
}

/// <summary>List size bounds (OpenAPI <c>minItems</c>/<c>maxItems</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemsAttribute(int min = -1, int max = -1) : Attribute
{
    public int Min { get; } = min;
    public int Max { get; } = max;
}

/// <summary>Numeric bounds (OpenAPI <c>minimum</c>/<c>maximum</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RangeAttribute(long min = long.MinValue, long max = long.MaxValue) : Attribute
{
    public long Min { get; } = min;
    public long Max { get; } = max;
}

/// <summary>A regular expression the string must match (OpenAPI <c>pattern</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

/// <summary>The allowed values of a string (OpenAPI <c>enum</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(params string[] values) : Attribute
{
    public IReadOnlyList<string> Values { get; } = values;
}

/// <summary>A default the API server fills in when the field is omitted (OpenAPI <c>default</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultValueAttribute(object value) : Attribute
{
    public object Value { get; } = value;
}

/// <summary>A Kubernetes resource quantity such as <c>500m</c> or <c>256Mi</c> (int-or-string with the quantity pattern).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class QuantityAttribute : Attribute;

/// <summary>A list whose items are unique by the named key (<c>x-kubernetes-list-type: map</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}

/// <summary>A list of unique scalars (<c>x-kubernetes-list-type: set</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListSetAttribute : Attribute;

/// <summary>A CEL rule (<c>x-kubernetes-validations</c>) on the property's schema, or on the type's schema when put on a class.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class, AllowMultiple = true)]
public sealed class CelRuleAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;
    public string Message { get; } = message;
    /// <summary>The field path the error is reported on, relative to the schema the rule is on (CEL <c>fieldPath</c>).</summary>
    public string? FieldPath { get; init; }
    /// <summary>A machine-readable reason (<c>FieldValueInvalid</c>, <c>FieldValueForbidden</c>, ...).</summary>
    public string? Reason { get; init; }
}

/// <summary>Properties the API server keeps even though the schema does not list them.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;
