using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>The names of the admission plugins the emulator runs, as kube-apiserver's <c>--enable-admission-plugins</c> spells them.</summary>
public static class AdmissionPlugins
{
    public const string LimitRanger = "LimitRanger";
    public const string ServiceAccount = "ServiceAccount";
    public const string PodSecurity = "PodSecurity";
    public const string Priority = "Priority";
    public const string RuntimeClass = "RuntimeClass";
    public const string ResourceQuota = "ResourceQuota";
}

/// <summary>One create request as admission sees it (<c>admission.Attributes</c>).</summary>
internal sealed class AdmissionRequest(ResourceType type, string @namespace, JsonObject obj, bool dryRun)
{
    public ResourceType Type { get; } = type;

    public string Namespace { get; } = @namespace;

    /// <summary>The object being created; mutating plugins change it in place.</summary>
    public JsonObject Object { get; } = obj;

    public bool DryRun { get; } = dryRun;

    public bool IsPod => Type.Group.Length == 0 && Type.Plural == "pods";

    /// <summary>True when the name came from generateName: mutating-phase errors then name the generateName, as upstream's do.</summary>
    public bool NameGenerated { get; init; }

    /// <summary>Set once the validating phase starts (the name is final by then).</summary>
    public bool Validating { get; set; }

    public JsonObject Spec => Object["spec"] as JsonObject ?? [];

    /// <summary>
    /// The name errors carry (<c>admission.NewForbidden</c>'s <c>extractResourceName</c>): the object's name, or its
    /// generateName while the name is not generated yet (mutating phase).
    /// </summary>
    public string ErrorName
    {
        get
        {
            var metadata = ObjectMeta.Metadata(Object);
            if (NameGenerated && !Validating && ObjectMeta.GetString(metadata, "generateName") is { Length: > 0 } pending)
            {
                return pending;
            }

            return ObjectMeta.GetString(metadata, "name") is { Length: > 0 } name ? name
                : ObjectMeta.GetString(metadata, "generateName") is { Length: > 0 } generateName ? generateName : "Unknown";
        }
    }

    /// <summary>403 Forbidden worded as <c>apierrors.NewForbidden</c>: <c>pods "x" is forbidden: why</c>.</summary>
    public ApiStatusException Forbidden(string why)
    {
        var details = new JsonObject { ["name"] = ErrorName };
        if (Type.Group.Length > 0)
        {
            details["group"] = Type.Group;
        }

        details["kind"] = Type.Plural;
        return new ApiStatusException(403, "Forbidden", $"{Type.QualifiedName} \"{ErrorName}\" is forbidden: {why}", details);
    }
}

/// <summary>An admission plugin: <c>Admit</c> (mutating phase) and <c>Validate</c> (validating phase), each optional.</summary>
internal interface IAdmissionPlugin
{
    string Name { get; }

    /// <summary>Mutates the object or refuses it (throws an <see cref="ApiStatusException"/>).</summary>
    void Admit(AdmissionRequest request)
    {
    }

    /// <summary>Refuses the object (throws) or lets it pass; must not change it.</summary>
    void Validate(AdmissionRequest request)
    {
    }
}

/// <summary>
/// The admission chain kube-apiserver runs on writes, in its order (<c>pkg/kubeapiserver/options/plugins.go</c>,
/// <c>AllOrderedPlugins</c>): every plugin's mutating <c>Admit</c> in turn, then (after the object's own defaulting and
/// validation) every plugin's <c>Validate</c> in turn. Plugins listed in
/// <see cref="EmulatorOptions.DisabledAdmissionPlugins"/> do not run.
/// </summary>
internal sealed class AdmissionChain
{
    private readonly IReadOnlyList<IAdmissionPlugin> _plugins;

    public AdmissionChain(ResourceRegistry registry, ObjectStore store, EmulatorOptions options, TimeProvider time)
    {
        var quota = new ResourceQuotaAdmission(registry, store, time);
        Quota = quota;
        IAdmissionPlugin[] all =
        [
            new LimitRangerAdmission(registry, store),
            new ServiceAccountAdmission(registry, store),
            new PodSecurityAdmission(registry, store),
            new PriorityAdmission(registry, store),
            new RuntimeClassAdmission(registry, store),
            quota,
        ];
        _plugins = [.. all.Where(p => !options.DisabledAdmissionPlugins.Contains(p.Name))];
        QuotaEnabled = _plugins.Contains(quota);
    }

    /// <summary>The ResourceQuota plugin, which also keeps each quota's status (the quota controller's part).</summary>
    public ResourceQuotaAdmission Quota { get; }

    public bool QuotaEnabled { get; }

    public void Admit(AdmissionRequest request)
    {
        foreach (var plugin in _plugins)
        {
            plugin.Admit(request);
        }
    }

    /// <summary>The validating phase; the caller holds the store lock, so quota checks and the write are atomic.</summary>
    public void Validate(AdmissionRequest request)
    {
        request.Validating = true;
        foreach (var plugin in _plugins)
        {
            plugin.Validate(request);
        }
    }
}
