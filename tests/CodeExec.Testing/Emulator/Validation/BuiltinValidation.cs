using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// The validation the API server runs on every create and update, in its order: the kind's strategy
/// (<c>Validate</c> / <c>ValidateUpdate</c>: ObjectMeta by the kind's name rule, then the kind's own rules), then,
/// on create and only when that passed, the generic registry's ObjectMeta check with path-segment names
/// (<c>rest.BeforeCreate</c>); on update the generic check (<c>validateCommonFields</c>: ObjectMeta and
/// <c>ValidateObjectMetaAccessorUpdate</c>) comes first and the strategy's errors are added to it
/// (<c>rest.BeforeUpdate</c>). Errors end the write with 422 Invalid, every error a cause.
/// </summary>
internal static class BuiltinValidation
{
    /// <summary>Validates an object about to be created (name generated, defaults applied); throws 422 when Kubernetes refuses it.</summary>
    public static void ValidateCreate(ResourceType type, JsonObject obj)
    {
        var errors = StrategyValidate(type, obj);
        if (errors.Count == 0)
        {
            errors = ObjectMetaValidation.ValidateObjectMeta(obj, type.Namespaced, Content.NameIsPathSegment);
        }

        ThrowIfAny(type, obj, errors);
    }

    /// <summary>Validates the next state of an object (system metadata restored, defaults applied) against the stored one.</summary>
    public static void ValidateUpdate(ResourceType type, JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(next, type.Namespaced, Content.NameIsPathSegment);
        errors.AddRange(ObjectMetaValidation.ValidateObjectMetaUpdate(next, old));
        errors.AddRange(StrategyValidateUpdate(type, next, old));
        ThrowIfAny(type, next, errors);
    }

    /// <summary>The kind's create validation (its registry strategy's <c>Validate</c>).</summary>
    private static List<MetaFieldError> StrategyValidate(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom)
        {
            // customResourceValidator.Validate: apimachinery's ObjectMeta rules with DNS-1123 subdomain names.
            return ObjectMetaValidation.ValidateObjectMeta(obj, type.Namespaced, Content.NameIsDnsSubdomain);
        }

        switch (type.Group, type.Plural)
        {
            case ("", "pods"):
                // ValidatePodCreate: the ObjectMeta part. The Pod spec rules (branch podval) plug in here.
                return ObjectMetaValidation.ValidateObjectMeta(obj, true, Content.NameIsDnsSubdomain, kubeFinalizers: true);
            case ("", "configmaps"):
                return ConfigMapSecretValidation.ValidateConfigMap(obj);
            case ("", "secrets"):
                return ConfigMapSecretValidation.ValidateSecret(obj);
            case ("", "resourcequotas"):
                return ResourceQuotaValidation.ValidateResourceQuota(obj);
            case ("", "events"):
                return EventValidation.ValidateEventCreate(obj, eventsApi: false);
            case ("events.k8s.io", "events"):
                return EventValidation.ValidateEventCreate(obj, eventsApi: true);
            case ("networking.k8s.io", "networkpolicies"):
                return NetworkPolicyValidation.ValidateNetworkPolicy(obj);
            case ("coordination.k8s.io", "leases"):
                return LeaseValidation.ValidateLease(obj);
            case ("", "namespaces"):
                // ValidateNamespace: namespaces are DNS-1123 labels.
                return ObjectMetaValidation.ValidateObjectMeta(obj, false, Content.NameIsDnsLabel, kubeFinalizers: true);
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                return ObjectMetaValidation.ValidateObjectMeta(obj, false, Content.NameIsDnsSubdomain);
            default:
                // ServiceAccount, LimitRange, Node, PriorityClass, RuntimeClass: core's ValidateObjectMeta with
                // DNS-1123 subdomain names; their other fields are not validated here.
                return ObjectMetaValidation.ValidateObjectMeta(obj, type.Namespaced, Content.NameIsDnsSubdomain, kubeFinalizers: true);
        }
    }

    /// <summary>The kind's update validation (its registry strategy's <c>ValidateUpdate</c>).</summary>
    private static List<MetaFieldError> StrategyValidateUpdate(ResourceType type, JsonObject next, JsonObject old)
    {
        if (type.IsCustom)
        {
            // customResourceValidator.ValidateUpdate: ValidateObjectMetaAccessorUpdate only.
            return ObjectMetaValidation.ValidateObjectMetaUpdate(next, old);
        }

        switch (type.Group, type.Plural)
        {
            case ("", "pods"):
                // ValidatePodUpdate: the ObjectMeta part. The Pod spec rules (branch podval) plug in here.
                var podErrors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
                podErrors.AddRange(ObjectMetaValidation.ValidateObjectMeta(next, true, Content.NameIsDnsSubdomain, kubeFinalizers: true));
                return podErrors;
            case ("", "configmaps"):
                return ConfigMapSecretValidation.ValidateConfigMapUpdate(next, old);
            case ("", "secrets"):
                return ConfigMapSecretValidation.ValidateSecretUpdate(next, old);
            case ("", "resourcequotas"):
                return ResourceQuotaValidation.ValidateResourceQuotaUpdate(next, old);
            case ("", "events"):
                return EventValidation.ValidateEventUpdate(next, old, eventsApi: false);
            case ("events.k8s.io", "events"):
                return EventValidation.ValidateEventUpdate(next, old, eventsApi: true);
            case ("networking.k8s.io", "networkpolicies"):
                return NetworkPolicyValidation.ValidateNetworkPolicyUpdate(next, old);
            case ("coordination.k8s.io", "leases"):
                return LeaseValidation.ValidateLeaseUpdate(next, old);
            case ("", "namespaces"):
                var namespaceErrors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
                namespaceErrors.AddRange(ObjectMetaValidation.ValidateObjectMeta(next, false, Content.NameIsDnsLabel, kubeFinalizers: true));
                return namespaceErrors;
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                return ObjectMetaValidation.ValidateObjectMetaUpdate(next, old);
            default:
                var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
                errors.AddRange(ObjectMetaValidation.ValidateObjectMeta(next, type.Namespaced, Content.NameIsDnsSubdomain, kubeFinalizers: true));
                return errors;
        }
    }

    private static void ThrowIfAny(ResourceType type, JsonObject obj, List<MetaFieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiStatusException.Invalid(type, ObjectMeta.GetString(obj["metadata"] as JsonObject, "name") ?? "", errors);
        }
    }
}
