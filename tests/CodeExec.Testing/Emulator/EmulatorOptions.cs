namespace CodeExec.Testing.Emulator;

/// <summary>How a <see cref="KubernetesEmulator"/> behaves; every setting has a default close to a real API server's.</summary>
public sealed class EmulatorOptions
{
    /// <summary>
    /// How many changes the watch history keeps (for all resources together). A watch or an exact list from a
    /// resourceVersion older than the oldest kept change gets 410 Gone, as after an etcd compaction.
    /// </summary>
    public int WatchHistorySize { get; init; } = 10_000;

    /// <summary>How often a watch with allowWatchBookmarks gets a BOOKMARK (the API server sends one about every minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a watch without timeoutSeconds stays open before the server ends it.</summary>
    public TimeSpan DefaultWatchTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// False (default): a DELETE of a pod removes it at once, as with gracePeriodSeconds=0. True: a pod bound to a node
    /// and not finished gets deletionTimestamp and deletionGracePeriodSeconds, and stays until its kubelet deletes it
    /// with grace 0 (as the real kubelet does once the containers have stopped).
    /// </summary>
    public bool GracefulPodDeletion { get; init; }

    /// <summary>CRD YAML files or folders of them to serve. When empty, the repository's <c>crds/</c> folder is used if found.</summary>
    public IList<string> CrdPaths { get; } = [];

    /// <summary>Whether to look for the repository's <c>crds/</c> folder (upward from the test binaries) when <see cref="CrdPaths"/> is empty.</summary>
    public bool LoadRepositoryCrds { get; init; } = true;

    /// <summary>
    /// YAML manifests of built-in kinds (files, or folders of <c>*.yaml</c>) created at start, after the namespaces and
    /// CRDs, as <c>kubectl create -f</c> would: for example <see cref="KubernetesEmulator.SandboxRuntimeManifests"/>, the
    /// RuntimeClass and PriorityClass every cluster running the operator has. Kustomization files are skipped.
    /// </summary>
    public IList<string> ManifestPaths { get; } = [];

    /// <summary>Namespaces that exist from the start.</summary>
    public IList<string> Namespaces { get; } = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Clock for timestamps, graceful deletion, bookmarks and watch timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Admission plugins not to run (names from <see cref="Admission.AdmissionPlugins"/>). Empty by default: every
    /// pod create passes LimitRanger, ServiceAccount, PodSecurity, Priority, RuntimeClass and ResourceQuota, as on a
    /// real cluster. Turn one off only for a test about something else that cannot set up what the plugin needs.
    /// </summary>
    public ISet<string> DisabledAdmissionPlugins { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The container logs to serve from <c>pods/{name}/log</c>; a new store when null.</summary>
    public PodLogStore? Logs { get; init; }
}
