using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeExec.Testing.Kubelet;

/// <summary>Settings every runner mode shares.</summary>
public sealed record PodRunnerOptions
{
    /// <summary>Clock for timestamps, scripted durations and grace periods.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Images the simulated registry refuses: their containers stay waiting with ErrImagePull / ImagePullBackOff.</summary>
    public IReadOnlySet<string> UnpullableImages { get; init; } = new HashSet<string>();

    /// <summary>Where process and gVisor modes make their per-pod folders. Default: a folder under the system temp folder.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Most tasks (processes and threads) a pod may have, like the kubelet's podPidsLimit. Null: no limit.</summary>
    public long? PodPidsLimit { get; init; }

    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal string ResolveWorkDirectory(string mode)
    {
        var folder = WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"codeexec-kubelet-{mode}");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
