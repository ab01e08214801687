using System.Globalization;
using System.Net.Sockets;
using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using k8s.Models;

namespace CodeExec.Operator.Sandbox;

/// <summary>
/// Builds the desired children of a CodeExecution: the NetworkPolicy, the immutable code ConfigMap (or Secret) and the
/// hardened sandbox Pod. Pure and deterministic: the same request and options give the same objects, so reconcile and
/// the <c>render</c> command agree. The user chooses none of the image, volumes, service account or security settings.
/// </summary>
internal static class SandboxRenderer
{
    public const string CodeContainerName = "code";
    public const string CollectorContainerName = "collector";
    public const string EgressProxyContainerName = "egress-proxy";
    public const string CodeVolume = "code";
    public const string StdinVolume = "stdin";
    public const string TmpVolume = "tmp";
    public const string OutputVolume = "output";
    public const string InitVolume = "init";
    public const string CodeDirectory = "/code";
    public const string StdinDirectory = "/codeexec/in";
    public const string OutputDirectory = "/codeexec/out";
    public const string InitDirectory = "/codeexec/bin";

    /// <summary>Where the code container finds codeexec-init, which the collector copies there from the operator image.</summary>
    public const string InitPath = InitDirectory + "/" + InitFileName;

    /// <summary>The file name of codeexec-init, next to the operator binary in its image and in the shared volume.</summary>
    public const string InitFileName = "codeexec-init";

    /// <summary>Size of the in-memory volume that carries codeexec-init (a static binary of about 1 MiB).</summary>
    public const string InitVolumeSize = "8Mi";
    public const string CodeKey = "code";
    public const string StdinKey = "stdin";
    public const string FileKeyPrefix = "file.";

    /// <summary>Exit code of codeexec-init when it cannot set up the sandbox's limits or streams (the program did not run).</summary>
    public const int WrapperFailureExitCode = 125;

    /// <summary>Exit code of codeexec-init when it stopped the program at <c>limits.timeoutSeconds</c>.</summary>
    public const int TimeoutExitCode = 124;

    /// <summary>Mode of the code files: read-only for everyone (0444).</summary>
    public const int ReadOnlyFileMode = 292;

    /// <summary>Renders all children of <paramref name="request"/>.</summary>
    public static SandboxChildren Render(SandboxRequest request, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var isSecret = request.Code.Kind == CodeSourceKind.Secret;
        return new SandboxChildren(
            NetworkPolicy(request),
            isSecret ? null : CodeConfigMap(request),
            isSecret ? CodeSecret(request) : null,
            Pod(request, options));
    }

    /// <summary>
    /// The NetworkPolicy selecting exactly the sandbox Pod: no ingress, and no egress at all for network mode None; for
    /// Egress, egress only to the pinned addresses (/32 or /128) of the allowed hosts on TCP 80 and 443. Nothing else,
    /// not even DNS (the Pod gets hostAliases instead).
    /// </summary>
    public static V1NetworkPolicy NetworkPolicy(SandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var egress = request.Egress.Count == 0
            ? new List<V1NetworkPolicyEgressRule>()
            :
            [
                new V1NetworkPolicyEgressRule
                {
                    To = request.Egress
                        .SelectMany(h => h.Addresses)
                        .Select(a => a.AddressFamily == AddressFamily.InterNetworkV6 ? $"{a}/128" : $"{a}/32")
                        .Distinct(StringComparer.Ordinal)
                        .Order(StringComparer.Ordinal)
                        .Select(cidr => new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = cidr } })
                        .ToList(),
                    Ports =
                    [
                        new V1NetworkPolicyPort { Protocol = "TCP", Port = 80 },
                        new V1NetworkPolicyPort { Protocol = "TCP", Port = 443 },
                    ],
                },
            ];

        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = Metadata(request, SandboxNames.NetworkPolicy(request.Execution), SandboxNames.RoleNetwork),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = PodSelectorLabels(request) },
                PolicyTypes = ["Ingress", "Egress"],
                Ingress = [],
                Egress = egress,
            },
        };
    }

    /// <summary>The immutable ConfigMap <c>&lt;cx&gt;-code</c>: keys <c>code</c>, <c>stdin</c> (when set) and <c>file.&lt;name&gt;</c>.</summary>
    public static V1ConfigMap CodeConfigMap(SandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Metadata(request, SandboxNames.Code(request.Execution), SandboxNames.RoleCode, codeAnnotation: true),
            Immutable = true,
            Data = CodeData(request),
        };
    }

    /// <summary>The immutable Secret <c>&lt;cx&gt;-code</c>, with the same keys as <see cref="CodeConfigMap"/> (UTF-8 bytes).</summary>
    public static V1Secret CodeSecret(SandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Metadata(request, SandboxNames.Code(request.Execution), SandboxNames.RoleCode, codeAnnotation: true),
            Immutable = true,
            Type = "Opaque",
            Data = CodeData(request).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value), StringComparer.Ordinal),
        };
    }

    private static Dictionary<string, string> CodeData(SandboxRequest request)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { [CodeKey] = request.Code.Content };
        if (request.Execution.Spec.Stdin is { } stdin)
        {
            data[StdinKey] = stdin;
        }

        foreach (var file in request.Execution.Spec.Files ?? [])
        {
            data[FileKeyPrefix + file.Name] = file.Content;
        }

        return data;
    }

    /// <summary>The sandbox Pod, per the pod contract (src/CodeExec.Operator/Sandbox/README.md explains each field).</summary>
    public static V1Pod Pod(SandboxRequest request, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var runtime = request.Runtime.Spec;
        var spec = request.Execution.Spec;
        var limits = request.Limits;
        var hasStdin = spec.Stdin is not null;
        var proxy = request.Egress.Count > 0 ? options.EgressProxy : null;

        var metadata = Metadata(request, SandboxNames.Pod(request.Execution), SandboxNames.RoleSandbox, codeAnnotation: true);
        metadata.Annotations ??= new Dictionary<string, string>(StringComparer.Ordinal);
        metadata.Annotations[SandboxNames.RuntimeAnnotation] = request.Runtime.Metadata.Name ?? "";

        var initContainers = new List<V1Container> { Collector(limits, options) };
        if (proxy is not null)
        {
            initContainers.Add(EgressProxy(request, proxy, options));
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = metadata,
            Spec = new V1PodSpec
            {
                RuntimeClassName = string.IsNullOrEmpty(runtime.RuntimeClassName) ? options.DefaultRuntimeClassName : runtime.RuntimeClassName,
                RestartPolicy = "Never",
                ActiveDeadlineSeconds = BackstopDeadlineSeconds(limits, options),
                TerminationGracePeriodSeconds = options.TerminationGracePeriodSeconds,
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                HostNetwork = false,
                HostPID = false,
                HostIPC = false,
                ShareProcessNamespace = false,
                DnsPolicy = "None",
                DnsConfig = NoDns(),
                HostAliases = request.Egress.Count == 0
                    ? null
                    : request.Egress.SelectMany(h => h.Addresses.Select(a => (Address: a.ToString(), h.Host)))
                        .GroupBy(p => p.Address, StringComparer.Ordinal)
                        .OrderBy(g => g.Key, StringComparer.Ordinal)
                        .Select(g => new V1HostAlias { Ip = g.Key, Hostnames = g.Select(p => p.Host).Order(StringComparer.Ordinal).ToList() })
                        .ToList(),
                PriorityClassName = options.PriorityClassName,
                SecurityContext = new V1PodSecurityContext
                {
                    RunAsNonRoot = true,
                    RunAsUser = runtime.RunAsUser,
                    RunAsGroup = runtime.RunAsGroup,
                    FsGroup = runtime.RunAsGroup,
                    SeccompProfile = SeccompProfile(options),
                    AppArmorProfile = options.AppArmorRuntimeDefault ? new V1AppArmorProfile { Type = "RuntimeDefault" } : null,
                },
                HostUsers = options.UserNamespaces ? false : null,
                Volumes = Volumes(request, options, hasStdin),
                InitContainers = initContainers,
                Containers = [CodeContainer(request, hasStdin, proxy, options)],
            },
        };
    }

    /// <summary>
    /// The nameserver of every sandbox Pod: the Pod's own loopback, where nothing listens on port 53 (gVisor gives the
    /// Pod its own network stack), so a lookup is refused inside the Pod and never reaches a network. The API server
    /// refuses <c>dnsPolicy: None</c> without a nameserver (validatePodDNSConfig).
    /// </summary>
    public const string NoDnsNameserver = "127.0.0.1";

    /// <summary>
    /// The DNS configuration that resolves nothing: one nameserver that answers nothing (<see cref="NoDnsNameserver"/>),
    /// no search domains, and one try with a one-second timeout, so a resolver that ignores the refusal (musl sends from an
    /// unconnected socket) gives up after a second instead of the default ten.
    /// </summary>
    public static V1PodDNSConfig NoDns() => new()
    {
        Nameservers = [NoDnsNameserver],
        Options =
        [
            new V1PodDNSConfigOption { Name = "attempts", Value = "1" },
            new V1PodDNSConfigOption { Name = "timeout", Value = "1" },
        ],
    };

    private static List<V1Volume> Volumes(SandboxRequest request, SandboxOptions options, bool hasStdin)
    {
        var codeObject = SandboxNames.Code(request.Execution);
        var codeItems = new List<V1KeyToPath> { new() { Key = CodeKey, Path = request.Runtime.Spec.FileName } };
        codeItems.AddRange((request.Execution.Spec.Files ?? []).Select(f => new V1KeyToPath { Key = FileKeyPrefix + f.Name, Path = f.Name }));

        var volumes = new List<V1Volume> { CodeSourceVolume(CodeVolume, request.Code.Kind, codeObject, codeItems) };
        if (hasStdin)
        {
            volumes.Add(CodeSourceVolume(StdinVolume, request.Code.Kind, codeObject, [new V1KeyToPath { Key = StdinKey, Path = StdinKey }]));
        }

        volumes.Add(new V1Volume { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = Copy(request.Limits.TmpSize) } });
        volumes.Add(new V1Volume { Name = OutputVolume, EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(options.OutputBufferSize) } });
        volumes.Add(new V1Volume { Name = InitVolume, EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(InitVolumeSize) } });
        return volumes;
    }

    private static V1Volume CodeSourceVolume(string volumeName, CodeSourceKind kind, string objectName, List<V1KeyToPath> items) =>
        kind == CodeSourceKind.Secret
            ? new V1Volume { Name = volumeName, Secret = new V1SecretVolumeSource { SecretName = objectName, Items = items, DefaultMode = ReadOnlyFileMode } }
            : new V1Volume { Name = volumeName, ConfigMap = new V1ConfigMapVolumeSource { Name = objectName, Items = items, DefaultMode = ReadOnlyFileMode } };

    private static V1Container CodeContainer(SandboxRequest request, bool hasStdin, EgressProxyOptions? proxy, SandboxOptions options)
    {
        var runtime = request.Runtime.Spec;
        var limits = request.Limits;
        var userEnv = (request.Execution.Spec.Env ?? [])
            .Where(e => !Admission.ReservedEnvNames.Contains(e.Name) && !e.Name.StartsWith(Admission.ReservedEnvPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(e => new V1EnvVar { Name = e.Name, Value = e.Value ?? "" })
            .ToList();
        var command = InitCommand(limits, hasStdin, options, userEnv);
        command.AddRange(runtime.Command);
        command.Add(CodeDirectory + "/" + runtime.FileName);
        command.AddRange((request.Execution.Spec.Args ?? []).Select(EscapeExpansion));

        // Only operator values: the user's variables are arguments of codeexec-init, which sets them in the program's
        // environment after the rlimits (nothing of the tenant's reaches a process before its limits are in place).
        var env = new List<V1EnvVar>
        {
            new() { Name = "HOME", Value = "/tmp" },
            new() { Name = "TMPDIR", Value = "/tmp" },
        };
        if (proxy is not null)
        {
            var url = "http://127.0.0.1:" + proxy.Port.ToString(CultureInfo.InvariantCulture);
            env.Add(new V1EnvVar { Name = "HTTP_PROXY", Value = url });
            env.Add(new V1EnvVar { Name = "HTTPS_PROXY", Value = url });
            env.Add(new V1EnvVar { Name = "http_proxy", Value = url });
            env.Add(new V1EnvVar { Name = "https_proxy", Value = url });
        }

        var mounts = new List<V1VolumeMount> { new() { Name = CodeVolume, MountPath = CodeDirectory, ReadOnlyProperty = true } };
        if (hasStdin)
        {
            mounts.Add(new V1VolumeMount { Name = StdinVolume, MountPath = StdinDirectory, ReadOnlyProperty = true });
        }

        mounts.Add(new V1VolumeMount { Name = TmpVolume, MountPath = "/tmp" });
        mounts.Add(new V1VolumeMount { Name = OutputVolume, MountPath = OutputDirectory });
        mounts.Add(new V1VolumeMount { Name = InitVolume, MountPath = InitDirectory, ReadOnlyProperty = true });

        return new V1Container
        {
            Name = CodeContainerName,
            Image = runtime.Image,
            ImagePullPolicy = runtime.ImagePullPolicy,
            Command = command,
            WorkingDir = CodeDirectory,
            Env = env,
            Resources = Resources(limits.Cpu, limits.Memory),
            SecurityContext = ContainerSecurity(runAsUser: null, options),
            VolumeMounts = mounts,
        };
    }

    /// <summary>How long the collector may take to become ready (its startupProbe) before the Pod fails to start.</summary>
    public const int CollectorStartTimeoutSeconds = 60;

    /// <summary>
    /// The Pod's <c>activeDeadlineSeconds</c>: only a backstop. The kubelet counts it from when it accepts the Pod,
    /// before the image pull, so it is <c>timeoutSeconds</c> (which codeexec-init counts from the program's start)
    /// plus the operator's start deadline plus the grace period. The code cannot change it.
    /// </summary>
    public static long BackstopDeadlineSeconds(EffectiveLimits limits, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        return limits.TimeoutSeconds + (long)Math.Ceiling(options.StartDeadline.TotalSeconds) + options.TerminationGracePeriodSeconds;
    }

    /// <summary>
    /// The grace codeexec-init gives the program between SIGTERM and SIGKILL: one second less than the kubelet's, so the
    /// init has ended the tree and exited with its own status before the kubelet kills the container.
    /// </summary>
    public static long InitGraceSeconds(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Math.Max(1, options.TerminationGracePeriodSeconds - 1);
    }

    /// <summary>
    /// The file size rlimit of the program: the larger of tmpSize and the output buffer (the volumes' own size limits
    /// stop writes earlier; the rlimit also stops a sparse file beyond them).
    /// </summary>
    public static long FileSizeLimitBytes(EffectiveLimits limits, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        return Math.Max(Quantities.ToInt64Ceiling(limits.TmpSize), Quantities.ToInt64Ceiling(new ResourceQuantity(options.OutputBufferSize)));
    }

    /// <summary>
    /// The start of the code container's command: codeexec-init (copied from the operator image by the collector) with
    /// the streams, the rlimits, the timeout and the user's variables, then <c>--</c>; the interpreter, the file and the
    /// user's arguments follow as the program's argv. The user's values are escaped (<see cref="EscapeExpansion"/>) so
    /// the kubelet's <c>$(VAR)</c> expansion leaves them as the user wrote them. No shell: the runtime image needs none, and nothing the user
    /// gives is ever parsed as shell text. codeexec-init is PID 1 of the container: it reaps zombies, passes SIGTERM
    /// on to the whole tree and exits with the program's status (src/CodeExec.Init/README.md). It also holds the code to
    /// its memory limit (resident memory plus what /tmp holds, SIGKILL at the limit): on a gVisor node the container's
    /// limit is not enforced inside the Pod's sandbox, where the code would otherwise take the collector's memory.
    /// </summary>
    public static List<string> InitCommand(EffectiveLimits limits, bool hasStdin, SandboxOptions options, IReadOnlyList<V1EnvVar> userEnv)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(userEnv);
        var command = new List<string>
        {
            InitPath,
            "--stdin", hasStdin ? StdinDirectory + "/" + StdinKey : "/dev/null",
            "--stdout", OutputDirectory + "/stdout",
            "--stderr", OutputDirectory + "/stderr",
            "--nproc", limits.Processes.ToString(CultureInfo.InvariantCulture),
            "--fsize", FileSizeLimitBytes(limits, options).ToString(CultureInfo.InvariantCulture),
            "--memory", Quantities.ToInt64Ceiling(limits.Memory).ToString(CultureInfo.InvariantCulture),
            "--tmp", "/tmp",
            "--tmp-size", Quantities.ToInt64Ceiling(limits.TmpSize).ToString(CultureInfo.InvariantCulture),
            "--timeout", limits.TimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            "--grace", InitGraceSeconds(options).ToString(CultureInfo.InvariantCulture),
        };
        foreach (var variable in userEnv)
        {
            command.Add("--env");
            command.Add(EscapeExpansion(variable.Name + "=" + variable.Value));
        }

        command.Add("--");
        return command;
    }

    /// <summary>
    /// <paramref name="value"/> written so that the kubelet's <c>$(VAR)</c> expansion of a container's command, args
    /// and env values gives it back exactly: every <c>$</c> doubled. The kubelet turns <c>$$</c> into <c>$</c> and
    /// <c>$(NAME)</c> into the value of the container's variable NAME (upstream <c>Expand</c> in kubernetes
    /// third_party/forked/golang/expansion/expand.go, applied by <c>expandContainerCommandAndArgs</c> in
    /// pkg/kubelet/kuberuntime/kuberuntime_container.go); in the doubled text every <c>$</c> is the first of a
    /// <c>$$</c> pair, so no reference starts. Without it a user argument <c>$(HOME)</c> would reach the program as
    /// <c>/tmp</c>. Text without <c>$</c> is returned as it is.
    /// </summary>
    public static string EscapeExpansion(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace("$", "$$", StringComparison.Ordinal);
    }

    private static V1Container Collector(EffectiveLimits limits, SandboxOptions options) => new()
    {
        Name = CollectorContainerName,
        Image = options.CollectorImage,
        ImagePullPolicy = options.CollectorImagePullPolicy,
        Command = [.. options.EffectiveCollectorCommand],
        Args = ["--dir", OutputDirectory, "--limit-bytes", limits.OutputBytes.ToString(CultureInfo.InvariantCulture), Commands.CollectCommand.InstallInitFlag, InitPath],
        RestartPolicy = "Always",
        Env =
        [
            new V1EnvVar { Name = "DOTNET_gcServer", Value = "0" },
            new V1EnvVar { Name = "DOTNET_EnableDiagnostics", Value = "0" },
        ],
        Resources = Resources(new ResourceQuantity(options.CollectorCpu), new ResourceQuantity(options.CollectorMemory)),
        SecurityContext = ContainerSecurity(runAsUser: options.CollectorUid, options),
        // The kubelet starts the code only once this probe passes, i.e. once the collector's SIGTERM handler is in
        // place: a program that ends at once can then never have the collector stopped while it is still starting.
        StartupProbe = new V1Probe
        {
            Exec = new V1ExecAction { Command = [.. options.EffectiveCollectorCommand, Commands.CollectCommand.ReadyFlag, "--dir", OutputDirectory] },
            PeriodSeconds = 1,
            TimeoutSeconds = 10,
            FailureThreshold = CollectorStartTimeoutSeconds,
        },
        // Writable only so the collector can create its ready marker (CollectCommand.ReadyFileName); it reads the streams.
        // The init volume: the collector copies codeexec-init from the operator image into it before it is ready.
        VolumeMounts =
        [
            new V1VolumeMount { Name = OutputVolume, MountPath = OutputDirectory },
            new V1VolumeMount { Name = InitVolume, MountPath = InitDirectory },
        ],
    };

    private static V1Container EgressProxy(SandboxRequest request, EgressProxyOptions proxy, SandboxOptions options) => new()
    {
        Name = EgressProxyContainerName,
        Image = proxy.Image,
        ImagePullPolicy = "IfNotPresent",
        Command = [.. proxy.Command],
        RestartPolicy = "Always",
        Env =
        [
            new V1EnvVar { Name = "CODEEXEC_ALLOWED_HOSTS", Value = string.Join(',', request.Egress.Select(h => h.Host)) },
            new V1EnvVar { Name = "CODEEXEC_PROXY_PORT", Value = proxy.Port.ToString(CultureInfo.InvariantCulture) },
        ],
        Resources = Resources(new ResourceQuantity("100m"), new ResourceQuantity("64Mi")),
        SecurityContext = ContainerSecurity(runAsUser: proxy.Uid, options),
    };

    private static V1ResourceRequirements Resources(ResourceQuantity cpu, ResourceQuantity memory) => new()
    {
        Limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["cpu"] = Copy(cpu), ["memory"] = Copy(memory) },
        Requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["cpu"] = Copy(cpu), ["memory"] = Copy(memory) },
    };

    /// <summary>
    /// The seccomp profile of the Pod and of every container: <c>Localhost</c> with option
    /// <see cref="SandboxOptions.SeccompLocalhostProfile"/> when it is set, otherwise <c>RuntimeDefault</c>.
    /// </summary>
    public static V1SeccompProfile SeccompProfile(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SeccompLocalhostProfile is { Length: > 0 } profile
            ? new V1SeccompProfile { Type = "Localhost", LocalhostProfile = profile }
            : new V1SeccompProfile { Type = "RuntimeDefault" };
    }

    private static V1SecurityContext ContainerSecurity(long? runAsUser, SandboxOptions options) => new()
    {
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Privileged = false,
        RunAsNonRoot = true,
        RunAsUser = runAsUser,
        RunAsGroup = runAsUser,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = SeccompProfile(options),
    };

    private static ResourceQuantity Copy(ResourceQuantity quantity) => new(quantity.ToString());

    private static string ExecutionName(SandboxRequest request) =>
        request.Execution.Metadata.Name ?? throw new ArgumentException("the CodeExecution has no metadata.name", nameof(request));

    /// <summary>Labels that select the sandbox Pod of this execution (and nothing of another execution).</summary>
    public static Dictionary<string, string> PodSelectorLabels(SandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var labels = SandboxNames.Labels(ExecutionName(request), request.Execution.Metadata.Uid, SandboxNames.RoleSandbox);
        labels.Remove(SandboxNames.ManagedByLabel);
        return labels;
    }

    private static V1ObjectMeta Metadata(SandboxRequest request, string name, string role, bool codeAnnotation = false)
    {
        var execution = request.Execution;
        return new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = execution.Metadata.NamespaceProperty,
            Labels = SandboxNames.Labels(ExecutionName(request), execution.Metadata.Uid, role),
            Annotations = codeAnnotation && request.Code.Sha256 is { } sha256
                ? new Dictionary<string, string>(StringComparer.Ordinal) { [SandboxNames.CodeSha256Annotation] = sha256 }
                : null,
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = ApiConstants.ApiVersion,
                    Kind = ApiConstants.CodeExecutionKind,
                    Name = execution.Metadata.Name,
                    Uid = execution.Metadata.Uid ?? "",
                    Controller = true,
                    BlockOwnerDeletion = true,
                },
            ],
        };
    }
}
