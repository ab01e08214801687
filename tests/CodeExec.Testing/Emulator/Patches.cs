using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// JSON merge patch (RFC 7386), the one PATCH format the emulator serves: the simulated kubelet and scheduler write
/// pod status with it. JSON patch, strategic merge patch and server-side apply are refused with 415.
/// </summary>
internal static class Patches
{
    public const string MergePatch = "application/merge-patch+json";

    public static JsonNode? ApplyMergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject is { } targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = ApplyMergePatch(result[key], value);
            }
        }

        return result;
    }
}
