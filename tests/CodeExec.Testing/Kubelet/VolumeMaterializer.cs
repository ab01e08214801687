using System.Text;
using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>
/// Writes a pod's ConfigMap and Secret volumes as files, and makes its emptyDirs, under one host folder per volume,
/// as the kubelet does under /var/lib/kubelet/pods/&lt;uid&gt;/volumes. Other volume types are refused.
/// </summary>
internal static class VolumeMaterializer
{
    private const int DefaultMode = 0b110_100_100; // 0644, the API server's default for configMap and secret volumes

    /// <summary>Materialises every volume of the pod under <paramref name="root"/>; returns volume name to host folder.</summary>
    public static Dictionary<string, string> Materialize(PodRunRequest request, string root)
    {
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in request.Pod.Spec?.Volumes ?? [])
        {
            var folder = Path.Combine(root, volume.Name);
            Directory.CreateDirectory(folder);
            if (volume.EmptyDir is not null)
            {
                // emptyDir is world-writable (0777) on a real node, so any container user can write to it.
                SetMode(folder, 0b111_111_111);
            }
            else if (volume.ConfigMap is { } configMapSource)
            {
                var configMap = request.ConfigMaps.FirstOrDefault(c => c.Metadata?.Name == configMapSource.Name);
                WriteFiles(folder, $"configmap \"{configMapSource.Name}\"", configMap is null ? null : ConfigMapEntries(configMap),
                    configMapSource.Items, configMapSource.DefaultMode, configMapSource.Optional == true);
            }
            else if (volume.Secret is { } secretSource)
            {
                var secret = request.Secrets.FirstOrDefault(s => s.Metadata?.Name == secretSource.SecretName);
                WriteFiles(folder, $"secret \"{secretSource.SecretName}\"", secret?.Data?.ToDictionary(e => e.Key, e => e.Value),
                    secretSource.Items, secretSource.DefaultMode, secretSource.Optional == true);
            }
            else
            {
                throw new UnsupportedPodException($"volume {volume.Name}: only configMap, secret and emptyDir volumes are supported by the simulated kubelet");
            }

            folders[volume.Name] = folder;
        }

        return folders;
    }

    /// <summary>The ConfigMaps and Secrets the pod's volumes name, and whether each may be missing.</summary>
    public static IEnumerable<(string Kind, string Name, bool Optional)> References(V1Pod pod)
    {
        foreach (var volume in pod.Spec?.Volumes ?? [])
        {
            if (volume.ConfigMap is { } configMap)
            {
                yield return ("ConfigMap", configMap.Name, configMap.Optional == true);
            }
            else if (volume.Secret is { } secret)
            {
                yield return ("Secret", secret.SecretName, secret.Optional == true);
            }
        }
    }

    private static Dictionary<string, byte[]> ConfigMapEntries(V1ConfigMap configMap)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
        {
            entries[key] = Encoding.UTF8.GetBytes(value);
        }

        foreach (var (key, value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
        {
            entries[key] = value;
        }

        return entries;
    }

    private static void WriteFiles(string folder, string what, Dictionary<string, byte[]>? entries, IList<V1KeyToPath>? items, int? defaultMode, bool optional)
    {
        if (entries is null)
        {
            if (optional)
            {
                return;
            }

            throw new UnsupportedPodException($"{what} not found");
        }

        var files = items is { Count: > 0 }
            ? items.Select(item => (item.Key, item.Path, Mode: item.Mode ?? defaultMode))
            : entries.Keys.Select(key => (Key: key, Path: key, Mode: defaultMode));
        foreach (var (key, relativePath, mode) in files)
        {
            if (!entries.TryGetValue(key, out var data))
            {
                if (optional)
                {
                    continue;
                }

                throw new UnsupportedPodException($"{what} has no key \"{key}\"");
            }

            if (Path.IsPathRooted(relativePath) || relativePath.Split('/').Contains(".."))
            {
                throw new UnsupportedPodException($"{what}: item path \"{relativePath}\" must be relative without '..'");
            }

            var path = Path.Combine(folder, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
            SetMode(path, (mode ?? DefaultMode) & 0b111_111_111);
        }
    }

    private static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
    }
}
