namespace CodeExec.E2E.Cluster;

/// <summary>How the operator under test runs.</summary>
public enum OperatorMode
{
    /// <summary>Installed from charts/codeexec-operator with the real helm binary into its own namespace (the default).</summary>
    Helm,

    /// <summary>
    /// The operator host running inside the test process against the cluster (<c>CODEEXEC_E2E_OPERATOR=in-process</c>),
    /// for clusters that cannot run the operator image, such as the dev cluster's API emulator.
    /// </summary>
    InProcess,
}

/// <summary>
/// The E2E suite's settings, read from the environment once. Every variable is optional:
/// <list type="bullet">
/// <item><c>KUBECONFIG</c>: the cluster (its first file); unset, a K3s container is tried.</item>
/// <item><c>CODEEXEC_E2E_OPERATOR</c>: <c>helm</c> (default) or <c>in-process</c>.</item>
/// <item><c>CODEEXEC_E2E_IMAGE</c>: the operator image as <c>repository:tag</c> (helm mode: the chart's image.repository
/// and image.tag, also the collector's; in-process mode: the collector image).</item>
/// <item><c>CODEEXEC_E2E_IMAGE_ARCHIVE</c>: a <c>docker save</c> archive holding that image, imported into the K3s node.</item>
/// <item><c>CODEEXEC_E2E_K3S</c>: <c>0</c> never starts K3s; <c>CODEEXEC_E2E_K3S_IMAGE</c>: the rancher/k3s image.</item>
/// <item><c>CODEEXEC_E2E_GVISOR_DIR</c>: a folder with gVisor's <c>runsc</c> and <c>containerd-shim-runsc-v1</c> for the
/// K3s node (default: the first folder on PATH holding both).</item>
/// <item><c>CODEEXEC_E2E_COLLECTOR_COMMAND</c> (space-separated) and <c>CODEEXEC_E2E_OPERATOR_SETTINGS</c>
/// (space-separated <c>Section:Key=value</c>): in-process mode only, what the dev cluster prints.</item>
/// </list>
/// </summary>
public sealed record E2ESettings
{
    /// <summary>The rancher/k3s image started when no KUBECONFIG is set: Kubernetes 1.33 (ValidatingAdmissionPolicy v1, containerd 2).</summary>
    public const string DefaultK3sImage = "rancher/k3s:v1.33.1-k3s1";

    public string? Kubeconfig { get; init; }

    public OperatorMode Operator { get; init; } = OperatorMode.Helm;

    public ImageReference? Image { get; init; }

    public string? ImageArchive { get; init; }

    public bool K3sAllowed { get; init; } = true;

    public string K3sImage { get; init; } = DefaultK3sImage;

    public string? GVisorDirectory { get; init; }

    public IReadOnlyList<string>? CollectorCommand { get; init; }

    public IReadOnlyDictionary<string, string> OperatorSettings { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Reads the settings from <paramref name="environment"/> (a variable name to its value, null when unset).</summary>
    /// <exception cref="ArgumentException">A variable has a value the suite does not understand; the message names it.</exception>
    public static E2ESettings Read(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var mode = Get("CODEEXEC_E2E_OPERATOR") switch
        {
            null or "helm" => OperatorMode.Helm,
            "in-process" => OperatorMode.InProcess,
            var other => throw new ArgumentException($"CODEEXEC_E2E_OPERATOR={other}: expected helm or in-process"),
        };
        var k3s = Get("CODEEXEC_E2E_K3S") switch
        {
            null or "1" or "true" => true,
            "0" or "false" => false,
            var other => throw new ArgumentException($"CODEEXEC_E2E_K3S={other}: expected 0 or 1"),
        };
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (Get("CODEEXEC_E2E_OPERATOR_SETTINGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"CODEEXEC_E2E_OPERATOR_SETTINGS: {pair} is not Section:Key=value");
            }

            settings[pair[..equals]] = pair[(equals + 1)..];
        }

        return new E2ESettings
        {
            Kubeconfig = Get("KUBECONFIG")?.Split(Path.PathSeparator)[0],
            Operator = mode,
            Image = Get("CODEEXEC_E2E_IMAGE") is { } image ? ImageReference.Parse(image) : null,
            ImageArchive = Get("CODEEXEC_E2E_IMAGE_ARCHIVE"),
            K3sAllowed = k3s,
            K3sImage = Get("CODEEXEC_E2E_K3S_IMAGE") ?? DefaultK3sImage,
            GVisorDirectory = Get("CODEEXEC_E2E_GVISOR_DIR"),
            CollectorCommand = Get("CODEEXEC_E2E_COLLECTOR_COMMAND")?.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            OperatorSettings = settings,
        };
    }
}

/// <summary>
/// An image reference <c>[registry[:port]/]path:tag</c> as the chart takes it (image.repository and image.tag; the chart
/// has no digest value, so <c>@sha256:</c> references are refused).
/// </summary>
/// <param name="Repository">Everything before the tag, e.g. <c>localhost:5000/codeexec-operator</c>.</param>
/// <param name="Tag">The tag, e.g. <c>dev</c>.</param>
public sealed record ImageReference(string Repository, string Tag)
{
    /// <summary>Parses <paramref name="reference"/>; throws <see cref="ArgumentException"/> without a tag or with a digest.</summary>
    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException($"image {reference}: the chart takes repository and tag, not a digest");
        }

        // The tag separator is the last colon after the last slash; a colon before it belongs to a registry port.
        var colon = reference.LastIndexOf(':');
        if (colon <= reference.LastIndexOf('/') || colon == reference.Length - 1 || colon == 0)
        {
            throw new ArgumentException($"image {reference}: expected repository:tag");
        }

        return new ImageReference(reference[..colon], reference[(colon + 1)..]);
    }

    /// <summary>
    /// The fully qualified name containerd stores the image under (Docker's normalisation): a first path component
    /// without a dot, a colon or <c>localhost</c> is not a registry, so <c>docker.io/</c> is prepended, and a single
    /// component gets <c>library/</c>. <c>codeexec-operator:dev</c> is <c>docker.io/library/codeexec-operator:dev</c>.
    /// Source: github.com/distribution/reference, normalize.go (splitDockerDomain).
    /// </summary>
    public string ContainerdName
    {
        get
        {
            var slash = Repository.IndexOf('/', StringComparison.Ordinal);
            var first = slash < 0 ? "" : Repository[..slash];
            var hasRegistry = slash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
            var name = hasRegistry ? Repository : "docker.io/" + (slash < 0 ? "library/" + Repository : Repository);
            return name + ":" + Tag;
        }
    }

    public override string ToString() => Repository + ":" + Tag;
}
