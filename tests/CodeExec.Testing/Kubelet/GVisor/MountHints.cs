using System.Globalization;
using k8s.Models;

namespace CodeExec.Testing.Kubelet.GVisor;

/// <summary>
/// gVisor's mount hints for one pod: annotations <c>dev.gvisor.spec.mount.&lt;volume&gt;.{type,share,options}</c>
/// (gVisor runsc/boot/mount_hints.go), taken from the pod's annotations as containerd passes pod annotations to the
/// sandbox, with <c>.source</c> set to the volume's host folder as containerd-shim-runsc-v1 sets it
/// (pkg/shim/utils/volumes.go, <c>UpdateVolumeAnnotations</c>). A hint with <c>type: tmpfs</c> and
/// <c>share: container|pod</c> makes the volume one tmpfs inside the sentry, shared by every container that mounts it
/// (<c>ShouldShareMount</c>); <c>type: bind</c> keeps the gofer-served host folder.
/// </summary>
public sealed class MountHints
{
    private readonly Dictionary<string, Dictionary<string, string>> _hints;

    private MountHints(Dictionary<string, Dictionary<string, string>> hints) => _hints = hints;

    /// <summary>The sandbox's annotations: every hint field, sources included.</summary>
    public IReadOnlyDictionary<string, string> Annotations =>
        _hints.SelectMany(h => h.Value.Select(f => (Key: $"{GVisorEngine.MountHintPrefix}{h.Key}.{f.Key}", f.Value)))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>
    /// The hints of <paramref name="pod"/>: its own annotations, plus, when <paramref name="memoryEmptyDirsInside"/>,
    /// <c>type: tmpfs</c> for every <c>medium: Memory</c> emptyDir it gives none for (options <c>rw</c> and
    /// <c>size=</c> its sizeLimit; share <c>pod</c> when several containers mount it, else <c>container</c>).
    /// </summary>
    public static MountHints ForPod(V1Pod pod, IReadOnlyDictionary<string, string> hostFolders, bool memoryEmptyDirsInside)
    {
        var hints = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (key, value) in pod.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            if (!key.StartsWith(GVisorEngine.MountHintPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var parts = key[GVisorEngine.MountHintPrefix.Length..].Split('.');
            if (parts is not [var volume, var field] || field == "source")
            {
                // runsc ignores malformed hints; a source is the node's business (the shim fills it in).
                continue;
            }

            if (!hostFolders.ContainsKey(volume))
            {
                throw new UnsupportedPodException($"annotation {key}: the pod has no volume {volume}");
            }

            if (!hints.TryGetValue(volume, out var fields))
            {
                hints[volume] = fields = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            fields[field] = value;
        }

        var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToList();
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            if (memoryEmptyDirsInside && volume.EmptyDir is { Medium: "Memory" } emptyDir && !hints.ContainsKey(volume.Name))
            {
                var mountedBy = containers.Count(c => (c.VolumeMounts ?? []).Any(m => m.Name == volume.Name));
                var options = "rw" + (emptyDir.SizeLimit?.ToInt64() is { } size ? ",size=" + size.ToString(CultureInfo.InvariantCulture) : "");
                hints[volume.Name] = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["type"] = "tmpfs",
                    ["share"] = mountedBy > 1 ? "pod" : "container",
                    ["options"] = options,
                };
            }
        }

        foreach (var (volume, fields) in hints)
        {
            fields["source"] = hostFolders[volume];
        }

        return new MountHints(hints);
    }

    /// <summary>True when the volume is a tmpfs inside the sandbox (hint type tmpfs, share container or pod).</summary>
    public bool IsSandboxTmpfs(string volume) =>
        _hints.TryGetValue(volume, out var fields)
        && fields.GetValueOrDefault("type") == "tmpfs"
        && fields.GetValueOrDefault("share") is "container" or "pod";
}
