using System.Reflection;
using System.Text.Json.Serialization;
using CodeExec.Api;
using CodeExec.Api.Validation;
using k8s.Models;

namespace CodeExec.CrdGen;

/// <summary>
/// Builds the OpenAPI v3 schema of a CRD from a C# API type: JSON names from <see cref="JsonPropertyNameAttribute"/>,
/// descriptions from the XML doc comments, validation from the attributes in <c>SchemaAttributes.cs</c>.
/// Properties are emitted in ordinal order of their JSON names, so the output does not depend on reflection order.
/// Every property must have a doc comment: the missing ones are collected and reported together.
/// </summary>
internal sealed class SchemaBuilder(XmlDocumentation docs)
{
    /// <summary>The CEL rule that every quantity field carries: a well-formed quantity greater than zero.</summary>
    internal const string PositiveQuantityRule = "isQuantity(string(self)) && quantity(string(self)).isGreaterThan(quantity('0'))";

    private readonly List<string> _undocumented = [];

    /// <summary>The schema of a root kind (the <c>openAPIV3Schema</c> of its CRD version).</summary>
    public V1JSONSchemaProps ForRoot(Type kind)
    {
        _undocumented.Clear();
        var schema = ForObject(kind, kind.Name);
        schema.Description = docs.For(kind) ?? Undocumented(kind.Name);
        if (_undocumented.Count > 0)
        {
            throw new SchemaGenerationException(
                "every CRD field needs a <summary> doc comment (it becomes the kubectl explain text); missing on: "
                + string.Join(", ", _undocumented));
        }

        return schema;
    }

    private V1JSONSchemaProps ForObject(Type type, string path)
    {
        var schema = new V1JSONSchemaProps { Type = "object", Properties = new Dictionary<string, V1JSONSchemaProps>() };
        var required = new List<string>();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.Name is not null)
            .OrderBy(p => p.Name, StringComparer.Ordinal);
        foreach (var (property, name) in properties)
        {
            var fieldPath = path + "." + name;
            var propertySchema = ForProperty(property, fieldPath);
            if (property.PropertyType != typeof(V1ObjectMeta))
            {
                // The API server allows nothing but type: object on metadata, so it carries no description.
                propertySchema.Description = docs.For(property) ?? Undocumented(fieldPath);
            }

            schema.Properties[name!] = propertySchema;
            if (property.GetCustomAttribute<RequiredFieldAttribute>() is not null)
            {
                required.Add(name!);
            }
        }

        if (required.Count > 0)
        {
            schema.Required = required;
        }

        AddRules(schema, type.GetCustomAttributes<CelRuleAttribute>());
        return schema;
    }

    private V1JSONSchemaProps ForProperty(PropertyInfo property, string path)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var itemType = ListItemType(type);
        if (itemType is null)
        {
            var schema = ForValue(type, path, property.GetCustomAttribute<QuantityAttribute>() is not null);
            ApplyValueAttributes(schema, property);
            return schema;
        }

        var items = ForValue(itemType, path + "[]", property.GetCustomAttribute<QuantityAttribute>() is not null);
        var list = new V1JSONSchemaProps { Type = "array", Items = items };
        if (itemType == typeof(string))
        {
            ApplyValueAttributes(items, property);
        }
        else
        {
            AddRules(list, property.GetCustomAttributes<CelRuleAttribute>());
        }

        if (property.GetCustomAttribute<ItemsAttribute>() is { } count)
        {
            list.MinItems = count.Min >= 0 ? count.Min : null;
            list.MaxItems = count.Max >= 0 ? count.Max : null;
        }

        if (property.GetCustomAttribute<ListMapKeyAttribute>() is { } mapKey)
        {
            list.XKubernetesListType = "map";
            list.XKubernetesListMapKeys = [mapKey.Key];
        }
        else if (property.GetCustomAttribute<ListSetAttribute>() is not null)
        {
            list.XKubernetesListType = "set";
        }
        else
        {
            list.XKubernetesListType = "atomic";
        }

        return list;
    }

    private V1JSONSchemaProps ForValue(Type type, string path, bool quantity)
    {
        if (quantity || type == typeof(ResourceQuantity))
        {
            return new V1JSONSchemaProps
            {
                AnyOf = [new V1JSONSchemaProps { Type = "integer" }, new V1JSONSchemaProps { Type = "string" }],
                Pattern = ApiConstants.QuantityPattern,
                XKubernetesIntOrString = true,
                XKubernetesValidations =
                [
                    new V1ValidationRule
                    {
                        Rule = PositiveQuantityRule,
                        Message = ValidationMessages.PositiveQuantity,
                        Reason = "FieldValueInvalid",
                    },
                ],
            };
        }

        if (type == typeof(string))
        {
            return new V1JSONSchemaProps { Type = "string" };
        }

        if (type == typeof(int))
        {
            return new V1JSONSchemaProps { Type = "integer", Format = "int32" };
        }

        if (type == typeof(long))
        {
            return new V1JSONSchemaProps { Type = "integer", Format = "int64" };
        }

        if (type == typeof(bool))
        {
            return new V1JSONSchemaProps { Type = "boolean" };
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return new V1JSONSchemaProps { Type = "string", Format = "date-time" };
        }

        if (type == typeof(V1ObjectMeta))
        {
            return new V1JSONSchemaProps { Type = "object" };
        }

        if (type == typeof(V1Condition))
        {
            return StandardSchemas.Condition();
        }

        if (type.IsClass && type.Namespace == typeof(ApiConstants).Namespace)
        {
            return ForObject(type, path);
        }

        throw new SchemaGenerationException($"{path}: no schema mapping for the C# type {type.FullName}");
    }

    private static void ApplyValueAttributes(V1JSONSchemaProps schema, PropertyInfo property)
    {
        if (property.GetCustomAttribute<LengthAttribute>() is { } length)
        {
            schema.MinLength = length.Min >= 0 ? length.Min : null;
            schema.MaxLength = length.Max >= 0 ? length.Max : null;
        }

        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            schema.Minimum = range.Min != long.MinValue ? range.Min : null;
            schema.Maximum = range.Max != long.MaxValue ? range.Max : null;
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern)
        {
            schema.Pattern = pattern.Pattern;
        }

        if (property.GetCustomAttribute<OneOfAttribute>() is { } oneOf)
        {
            schema.EnumProperty = [.. oneOf.Values];
        }

        if (property.GetCustomAttribute<DefaultValueAttribute>() is { } defaultValue)
        {
            schema.DefaultProperty = defaultValue.Value;
        }

        if (property.GetCustomAttribute<PreserveUnknownFieldsAttribute>() is not null)
        {
            schema.XKubernetesPreserveUnknownFields = true;
        }

        AddRules(schema, property.GetCustomAttributes<CelRuleAttribute>());
    }

    private static void AddRules(V1JSONSchemaProps schema, IEnumerable<CelRuleAttribute> rules)
    {
        var added = rules
            .Select(r => new V1ValidationRule { Rule = r.Rule, FieldPath = r.FieldPath, Message = r.Message, Reason = r.Reason })
            .ToList();
        if (added.Count == 0)
        {
            return;
        }

        schema.XKubernetesValidations = [.. schema.XKubernetesValidations ?? Enumerable.Empty<V1ValidationRule>(), .. added];
    }

    private static Type? ListItemType(Type type)
    {
        if (type == typeof(string) || !type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IReadOnlyList<>)
            ? type.GetGenericArguments()[0]
            : null;
    }

    private string? Undocumented(string path)
    {
        _undocumented.Add(path);
        return null;
    }
}
