using System.Text.Json.Nodes;
using static CodeExec.Testing.Emulator.Validation.PodFieldRules;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>Volume rules of Pod validation (<c>ValidateVolumes</c>, <c>validateVolumeSource</c> and the sources the emulator checks in depth).</summary>
internal static partial class PodValidation
{
    private const string FileModeMessage = "must be a number between 0 and 0777 (octal), both inclusive";

    /// <summary>
    /// The volume sources in the order upstream checks them: the JSON field, and the name upstream puts in the path of
    /// "more than 1 volume type" (it spells two of them differently from the JSON field).
    /// </summary>
    private static readonly (string Field, string PathName)[] VolumeSources =
    [
        ("emptyDir", "emptyDir"), ("hostPath", "hostPath"), ("gitRepo", "gitRepo"), ("gcePersistentDisk", "gcePersistentDisk"),
        ("awsElasticBlockStore", "awsElasticBlockStore"), ("secret", "secret"), ("nfs", "nfs"), ("iscsi", "iscsi"),
        ("glusterfs", "glusterfs"), ("flocker", "flocker"), ("persistentVolumeClaim", "persistentVolumeClaim"), ("rbd", "rbd"),
        ("cinder", "cinder"), ("cephfs", "cephFS"), ("quobyte", "quobyte"), ("downwardAPI", "downwarAPI"), ("fc", "fc"),
        ("flexVolume", "flexVolume"), ("configMap", "configMap"), ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"),
        ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"),
        ("storageos", "storageos"), ("projected", "projected"), ("scaleIO", "scaleIO"), ("csi", "csi"), ("ephemeral", "ephemeral"),
        ("image", "image"),
    ];

    private static readonly string[] HostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

    /// <summary>
    /// <c>ValidateVolumes</c>: names are unique DNS-1123 labels and each volume has exactly one valid source. Returns the
    /// valid volumes by name; a volume with any error is left out, so mounts of it are then "Not found" as upstream.
    /// </summary>
    private static Dictionary<string, JsonObject> ValidateVolumes(JsonArray volumes, string path, List<FieldError> errors)
    {
        var valid = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        for (var i = 0; i < volumes.Count; i++)
        {
            var volume = volumes[i] as JsonObject ?? [];
            var index = path.Index(i);
            var name = Str(volume, "name") ?? "";
            var volumeErrors = new List<FieldError>();
            ValidateVolumeSource(volume, index, volumeErrors);
            if (name.Length == 0)
            {
                volumeErrors.Add(FieldError.Required(index.Child("name")));
            }
            else
            {
                volumeErrors.AddRange(ValidateDns1123Label(name, index.Child("name")));
            }

            if (valid.ContainsKey(name))
            {
                volumeErrors.Add(FieldError.Duplicate(index.Child("name"), name));
            }

            if (volumeErrors.Count == 0)
            {
                valid[name] = volume;
            }
            else
            {
                errors.AddRange(volumeErrors);
            }
        }

        return valid;
    }

    /// <summary><c>validateVolumeSource</c>: exactly one source, and the rules of the sources the emulator knows in depth.</summary>
    private static void ValidateVolumeSource(JsonObject volume, string path, List<FieldError> errors)
    {
        var count = 0;
        foreach (var (field, pathName) in VolumeSources)
        {
            if (volume[field] is not JsonObject source)
            {
                continue;
            }

            if (count > 0)
            {
                errors.Add(FieldError.Forbidden(path.Child(pathName), "may not specify more than 1 volume type"));
                continue;
            }

            count++;
            var sourcePath = path.Child(field);
            switch (field)
            {
                case "emptyDir":
                    if (QuantityText(source["sizeLimit"]) is { } text && ParseQuantity(text) is { } limit && Value(limit) < 0)
                    {
                        errors.Add(FieldError.Forbidden(sourcePath.Child("sizeLimit"), "SizeLimit field must be a valid resource quantity"));
                    }

                    break;
                case "hostPath":
                    ValidateHostPathVolumeSource(source, sourcePath, errors);
                    break;
                case "secret":
                    ValidateKeyToPathSource(source, "secretName", sourcePath, errors);
                    break;
                case "configMap":
                    ValidateKeyToPathSource(source, "name", sourcePath, errors);
                    break;
                case "persistentVolumeClaim":
                    if (Str(source, "claimName") is null or "")
                    {
                        errors.Add(FieldError.Required(sourcePath.Child("claimName")));
                    }

                    break;
                case "downwardAPI":
                    ValidateDefaultMode(source, sourcePath, errors);
                    foreach (var item in Arr(source, "items"))
                    {
                        ValidateDownwardApiVolumeFile(item as JsonObject ?? [], sourcePath, errors);
                    }

                    break;
                case "projected":
                    ValidateDefaultMode(source, sourcePath, errors);
                    ValidateProjectionSources(source, sourcePath, errors);
                    break;
            }
        }

        if (count == 0)
        {
            errors.Add(FieldError.Required(path, "must specify a volume type"));
        }
    }

    /// <summary><c>validateHostPathVolumeSource</c>.</summary>
    private static void ValidateHostPathVolumeSource(JsonObject source, string path, List<FieldError> errors)
    {
        var hostPath = Str(source, "path") ?? "";
        if (hostPath.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("path")));
            return;
        }

        ValidatePathNoBacksteps(hostPath, path.Child("path"), errors);
        if (source["type"] is not null && Str(source, "type") is var type && !HostPathTypes.Contains(type ?? "", StringComparer.Ordinal))
        {
            errors.Add(FieldError.NotSupported(path.Child("type"), type ?? "", HostPathTypes));
        }
    }

    /// <summary><c>validateSecretVolumeSource</c> and <c>validateConfigMapVolumeSource</c>: a name, a file mode, valid items.</summary>
    private static void ValidateKeyToPathSource(JsonObject source, string nameField, string path, List<FieldError> errors)
    {
        if (Str(source, nameField) is null or "")
        {
            errors.Add(FieldError.Required(path.Child(nameField)));
        }

        ValidateDefaultMode(source, path, errors);
        var items = Arr(source, "items");
        for (var i = 0; i < items.Count; i++)
        {
            ValidateKeyToPath(items[i] as JsonObject ?? [], path.Child("items").Index(i), errors);
        }
    }

    private static void ValidateDefaultMode(JsonObject source, string path, List<FieldError> errors)
    {
        if (Long(source, "defaultMode") is { } mode && mode is < 0 or > 511)
        {
            errors.Add(FieldError.Invalid(path.Child("defaultMode"), mode, FileModeMessage));
        }
    }

    /// <summary><c>validateKeyToPath</c>: a key, a relative path without '..', a file mode in range.</summary>
    private static void ValidateKeyToPath(JsonObject item, string path, List<FieldError> errors)
    {
        if (Str(item, "key") is null or "")
        {
            errors.Add(FieldError.Required(path.Child("key")));
        }

        var itemPath = Str(item, "path") ?? "";
        if (itemPath.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("path")));
        }

        ValidateLocalNonReservedPath(itemPath, path.Child("path"), errors);
        if (Long(item, "mode") is { } mode && mode is < 0 or > 511)
        {
            errors.Add(FieldError.Invalid(path.Child("mode"), mode, FileModeMessage));
        }
    }

    /// <summary><c>validateDownwardAPIVolumeFile</c> (the field and resource selectors are checked for presence only).</summary>
    private static void ValidateDownwardApiVolumeFile(JsonObject file, string path, List<FieldError> errors)
    {
        var filePath = Str(file, "path") ?? "";
        if (filePath.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("path")));
        }

        ValidateLocalNonReservedPath(filePath, path.Child("path"), errors);
        var hasField = file["fieldRef"] is JsonObject;
        var hasResource = file["resourceFieldRef"] is JsonObject;
        if (hasField && hasResource)
        {
            errors.Add(FieldError.Invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"));
        }
        else if (!hasField && !hasResource)
        {
            errors.Add(FieldError.Required(path, "one of fieldRef and resourceFieldRef is required"));
        }

        if (Long(file, "mode") is { } mode && mode is < 0 or > 511)
        {
            errors.Add(FieldError.Invalid(path.Child("mode"), mode, FileModeMessage));
        }
    }

    /// <summary><c>validateProjectionSources</c>: one kind per source, valid secret and configMap items.</summary>
    private static void ValidateProjectionSources(JsonObject projection, string path, List<FieldError> errors)
    {
        var sources = Arr(projection, "sources");
        for (var i = 0; i < sources.Count; i++)
        {
            var source = sources[i] as JsonObject ?? [];
            var sourcePath = path.Child("sources").Index(i);
            var kinds = 0;
            foreach (var kind in new[] { "secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle", "podCertificate" })
            {
                if (source[kind] is not JsonObject inner)
                {
                    continue;
                }

                kinds++;
                if (kind is "secret" or "configMap")
                {
                    if (Str(inner, "name") is null or "")
                    {
                        errors.Add(FieldError.Required(sourcePath.Child(kind).Child("name")));
                    }

                    var items = Arr(inner, "items");
                    for (var j = 0; j < items.Count; j++)
                    {
                        ValidateKeyToPath(items[j] as JsonObject ?? [], sourcePath.Child(kind).Child("items").Index(j), errors);
                    }
                }
            }

            if (kinds > 1)
            {
                errors.Add(FieldError.Forbidden(sourcePath, "may not specify more than 1 volume type per source"));
            }
        }
    }

    /// <summary><c>ValidateLocalNonReservedPath</c>: relative, no '..' element, not starting with '..'.</summary>
    private static void ValidateLocalNonReservedPath(string target, string path, List<FieldError> errors)
    {
        ValidateLocalDescendingPath(target, path, errors);
        if (target.StartsWith("..", StringComparison.Ordinal) && !target.StartsWith("../", StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path, target, "must not start with '..'"));
        }
    }

    /// <summary><c>validateLocalDescendingPath</c>: not absolute, no '..' element.</summary>
    private static void ValidateLocalDescendingPath(string target, string path, List<FieldError> errors)
    {
        if (target.StartsWith('/'))
        {
            errors.Add(FieldError.Invalid(path, target, "must be a relative path"));
        }

        ValidatePathNoBacksteps(target, path, errors);
    }

    /// <summary><c>validatePathNoBacksteps</c>: no '..' element (one error however many).</summary>
    private static void ValidatePathNoBacksteps(string target, string path, List<FieldError> errors)
    {
        if (target.Split('/').Contains(".."))
        {
            errors.Add(FieldError.Invalid(path, target, "must not contain '..'"));
        }
    }
}
