using System.Text.Json.Nodes;
using static CodeExec.Testing.Emulator.Validation.PodFieldRules;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>Security context rules of Pod validation (<c>validatePodSpecSecurityContext</c>, <c>ValidateSecurityContext</c>).</summary>
internal static partial class PodValidation
{
    /// <summary>
    /// <c>validatePodSpecSecurityContext</c>: user and group ids in range, shareProcessNamespace not with hostPID, valid
    /// and unique sysctls, known policies, valid seccomp and AppArmor profiles.
    /// </summary>
    private static void ValidatePodSpecSecurityContext(JsonObject spec, string path, List<FieldError> errors)
    {
        if (Obj(spec, "securityContext") is not { } context)
        {
            return;
        }

        foreach (var field in new[] { "fsGroup", "runAsUser", "runAsGroup" })
        {
            if (Long(context, field) is { } id)
            {
                errors.AddRange(IsValidId(id).Select(m => FieldError.Invalid(path.Child(field), id, m)));
            }
        }

        var groups = Arr(context, "supplementalGroups");
        for (var i = 0; i < groups.Count; i++)
        {
            var id = AsLong(groups[i]) ?? -1;
            errors.AddRange(IsValidId(id).Select(m => FieldError.Invalid(path.Child("supplementalGroups").Index(i), id, m)));
        }

        if (Bool(spec, "shareProcessNamespace") == true && Bool(spec, "hostPID") == true)
        {
            errors.Add(FieldError.InvalidFormatted(path.Child("shareProcessNamespace"), "true", "ShareProcessNamespace and HostPID cannot both be enabled"));
        }

        var sysctls = Arr(context, "sysctls");
        var sysctlNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sysctls.Count; i++)
        {
            var namePath = path.Child("sysctls").Index(i).Child("name");
            var name = Str(sysctls[i], "name") ?? "";
            if (name.Length == 0)
            {
                errors.Add(FieldError.Required(namePath));
            }
            else if (!IsValidSysctlName(name))
            {
                errors.Add(FieldError.Invalid(namePath, name, $"must have at most 253 characters and match regex {SysctlNamePattern}"));
            }
            else if (sysctlNames.Contains(name))
            {
                errors.Add(FieldError.Duplicate(namePath, name));
            }

            sysctlNames.Add(name);
        }

        if (context["fsGroupChangePolicy"] is not null && Str(context, "fsGroupChangePolicy") is var change && change is not ("Always" or "OnRootMismatch"))
        {
            errors.Add(FieldError.NotSupported(path.Child("fsGroupChangePolicy"), change ?? "", ["Always", "OnRootMismatch"]));
        }

        if (Obj(context, "seccompProfile") is { } seccomp)
        {
            ValidateSeccompProfileField(seccomp, path.Child("seccompProfile"), errors);
        }

        if (Obj(context, "appArmorProfile") is { } appArmor)
        {
            ValidateAppArmorProfileField(appArmor, path.Child("appArmorProfile"), errors);
        }

        if (context["supplementalGroupsPolicy"] is not null && Str(context, "supplementalGroupsPolicy") is var groupsPolicy && groupsPolicy is not ("Merge" or "Strict"))
        {
            errors.Add(FieldError.NotSupported(path.Child("supplementalGroupsPolicy"), groupsPolicy ?? "", ["Merge", "Strict"]));
        }

        if (context["seLinuxChangePolicy"] is not null && Str(context, "seLinuxChangePolicy") is var seLinux && seLinux is not ("MountOption" or "Recursive"))
        {
            errors.Add(FieldError.NotSupported(path.Child("seLinuxChangePolicy"), seLinux ?? "", ["MountOption", "Recursive"]));
        }
    }

    /// <summary>
    /// <c>ValidateSecurityContext</c> of a container: ids in range, a known procMount (Unmasked only without host
    /// users), a valid seccomp profile, no privileged or CAP_SYS_ADMIN together with allowPrivilegeEscalation false, a
    /// valid AppArmor profile.
    /// </summary>
    private static void ValidateSecurityContext(JsonObject context, string path, bool hostUsers, List<FieldError> errors)
    {
        foreach (var field in new[] { "runAsUser", "runAsGroup" })
        {
            if (Long(context, field) is { } id)
            {
                errors.AddRange(IsValidId(id).Select(m => FieldError.Invalid(path.Child(field), id, m)));
            }
        }

        if (context["procMount"] is not null)
        {
            var procMount = Str(context, "procMount") ?? "";
            if (procMount is not ("Default" or "Unmasked"))
            {
                errors.Add(FieldError.NotSupported(path.Child("procMount"), procMount, ["Default", "Unmasked"]));
            }

            if (hostUsers && procMount == "Unmasked")
            {
                errors.Add(FieldError.Invalid(path.Child("procMount"), procMount, "`hostUsers` must be false to use `Unmasked`"));
            }
        }

        if (Obj(context, "seccompProfile") is { } seccomp)
        {
            ValidateSeccompProfileField(seccomp, path.Child("seccompProfile"), errors);
        }

        if (Bool(context, "allowPrivilegeEscalation") == false)
        {
            if (Bool(context, "privileged") == true)
            {
                errors.Add(FieldError.InvalidFormatted(path, GoStruct("core.SecurityContext", context), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
            }

            foreach (var capability in Strings(Obj(context, "capabilities"), "add"))
            {
                if (capability == "CAP_SYS_ADMIN")
                {
                    errors.Add(FieldError.InvalidFormatted(path, GoStruct("core.SecurityContext", context), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"));
                }
            }
        }

        if (Obj(context, "appArmorProfile") is { } appArmor)
        {
            ValidateAppArmorProfileField(appArmor, path.Child("appArmorProfile"), errors);
        }
    }

    /// <summary>
    /// <c>validateSeccompProfileField</c>: a known type; <c>localhostProfile</c> required (and a relative path without
    /// '..') for Localhost and forbidden for the others.
    /// </summary>
    private static void ValidateSeccompProfileField(JsonObject profile, string path, List<FieldError> errors)
    {
        var type = Str(profile, "type") ?? "";
        if (type.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("type"), "type is required when seccompProfile is set"));
        }
        else if (type is not ("Localhost" or "RuntimeDefault" or "Unconfined"))
        {
            errors.Add(FieldError.NotSupported(path.Child("type"), type, ["Localhost", "RuntimeDefault", "Unconfined"]));
        }

        var localhost = Str(profile, "localhostProfile");
        if (type == "Localhost")
        {
            if (localhost is null)
            {
                errors.Add(FieldError.Required(path.Child("localhostProfile"), "must be set when seccomp type is Localhost"));
            }
            else
            {
                ValidateLocalDescendingPath(localhost, path.Child("localhostProfile"), errors);
            }
        }
        else if (localhost is not null)
        {
            errors.Add(FieldError.InvalidFormatted(path.Child("localhostProfile"), GoStruct("core.SeccompProfile", profile), "can only be set when seccomp type is Localhost"));
        }
    }

    /// <summary><c>ValidateAppArmorProfileField</c>.</summary>
    private static void ValidateAppArmorProfileField(JsonObject profile, string path, List<FieldError> errors)
    {
        var localhost = Str(profile, "localhostProfile");
        switch (Str(profile, "type") ?? "")
        {
            case "Localhost":
                if (localhost is null)
                {
                    errors.Add(FieldError.Required(path.Child("localhostProfile"), "must be set when AppArmor type is Localhost"));
                }
                else
                {
                    if (localhost.Trim() != localhost)
                    {
                        errors.Add(FieldError.Invalid(path.Child("localhostProfile"), localhost, "must not be padded with whitespace"));
                    }
                    else if (localhost.Length == 0)
                    {
                        errors.Add(FieldError.Required(path.Child("localhostProfile"), "must be set when AppArmor type is Localhost"));
                    }

                    if (localhost.Length > 4095)
                    {
                        errors.Add(FieldError.TooLong(path.Child("localhostProfile"), 4095));
                    }
                }

                break;
            case "RuntimeDefault" or "Unconfined":
                if (localhost is not null)
                {
                    errors.Add(FieldError.Invalid(path.Child("localhostProfile"), localhost, "can only be set when AppArmor type is Localhost"));
                }

                break;
            case "":
                errors.Add(FieldError.Required(path.Child("type"), "type is required when appArmorProfile is set"));
                break;
            case var other:
                errors.Add(FieldError.NotSupported(path.Child("type"), other, ["Localhost", "RuntimeDefault", "Unconfined"]));
                break;
        }
    }

    /// <summary>
    /// An approximation of Go's <c>%#v</c> of an internal struct, which upstream prints for a few errors (with pointer
    /// addresses the emulator cannot reproduce): the type name and the JSON fields.
    /// </summary>
    private static string GoStruct(string typeName, JsonObject value) => typeName + value.ToJsonString();
}
