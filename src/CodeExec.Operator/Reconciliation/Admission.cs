using System.Globalization;
using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// Decides whether a CodeExecution may run: its runtime exists, its limits are within the runtime's maxima and the
/// cluster maximum, its network request is allowed, its inputs do not collide with what the operator sets.
/// Pure: the caller looks up the runtime and resolves the egress hosts (<see cref="HostsToResolve"/>) first.
/// The CRD schema checks shapes (patterns, lengths); this checks what needs the runtime or the options.
/// </summary>
internal static class Admission
{
    /// <summary>Environment variables the operator sets in the sandbox; an execution may not set them.</summary>
    public static readonly IReadOnlySet<string> ReservedEnvNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "HOME", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    };

    /// <summary>Prefix of environment variable names reserved for the operator.</summary>
    public const string ReservedEnvPrefix = "CODEEXEC_";

    /// <summary>
    /// Environment variables that make the dynamic loader, a shell or an interpreter run code of the execution's choosing
    /// before (or around) its program: refused unless the runtime sets <see cref="CodeRuntimeSpec.AllowStartupHookEnv"/>
    /// (security review finding 12). codeexec-init applies user variables only after its rlimits, so they cannot escape
    /// the limits; they are refused because they run code the runtime's command does not name (and read input files as
    /// code). Sources: ld.so(8) (LD_*, GLIBC_TUNABLES), iconv(3) (GCONV_PATH), bash(1) (BASH_ENV, SHELLOPTS, BASHOPTS,
    /// PS4, PROMPT_COMMAND), dash(1) and POSIX sh (ENV), python(1) (PYTHON*), node(1) (NODE_OPTIONS, NODE_PATH),
    /// perlrun(1) (PERL5OPT, PERL5LIB, PERLLIB, PERL5DB), ruby(1) (RUBYOPT, RUBYLIB), the JDK launcher
    /// (JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, JDK_JAVA_OPTIONS).
    /// </summary>
    public static readonly IReadOnlySet<string> StartupHookEnvNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "GCONV_PATH", "GLIBC_TUNABLES",
        "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND",
        "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHONUSERBASE", "PYTHONWARNINGS",
        "NODE_OPTIONS", "NODE_PATH",
        "PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB",
        "RUBYOPT", "RUBYLIB",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
    };

    /// <summary>Prefix of the dynamic loader's variables (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...): all are startup hooks.</summary>
    public const string LoaderEnvPrefix = "LD_";

    /// <summary>True when <paramref name="name"/> is a startup hook variable (<see cref="StartupHookEnvNames"/> or LD_*).</summary>
    public static bool IsStartupHookEnv(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return StartupHookEnvNames.Contains(name) || name.StartsWith(LoaderEnvPrefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// True when <paramref name="runtime"/> may be used in <paramref name="namespaceName"/>: its
    /// <see cref="CodeRuntimeSpec.AllowedNamespaces"/> is absent or empty (every namespace), or lists it.
    /// </summary>
    public static bool IsAllowedIn(CodeRuntime runtime, string? namespaceName)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.Spec.AllowedNamespaces is not { Count: > 0 } allowed
               || (namespaceName is not null && allowed.Contains(namespaceName, StringComparer.Ordinal));
    }

    /// <summary>Longest input file name: the ConfigMap key <c>file.&lt;name&gt;</c> must stay within 253 characters.</summary>
    public const int MaxInputFileNameLength = 253 - 5;

    /// <summary>
    /// The egress hosts the caller must resolve before <see cref="Admit"/>: those asked for and allowed by the runtime,
    /// except cluster names (<see cref="ClusterNameProblem"/>), which admission refuses unresolved.
    /// </summary>
    public static IReadOnlyList<string> HostsToResolve(CodeExecution execution, CodeRuntime? runtime, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(options);
        var network = execution.Spec.Network;
        if (network?.Mode != NetworkModes.Egress || runtime?.Spec.Egress is not { Allowed: true } policy
            || !IsAllowedIn(runtime, execution.Metadata.NamespaceProperty))
        {
            return [];
        }

        var allowed = new HashSet<string>(policy.AllowedHosts ?? [], StringComparer.OrdinalIgnoreCase);
        return (network.AllowedHosts ?? [])
            .Where(h => allowed.Contains(h) && ClusterNameProblem(h, options.ClusterDomain) is null)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>
    /// Why <paramref name="host"/> names something inside the cluster rather than a public host, or null when it does
    /// not: a single label (<c>pypi</c>: cluster DNS would complete it with the search path), a name under <c>.svc</c>,
    /// or a name in <paramref name="clusterDomain"/> (<c>cluster.local</c>). Hosts are resolved as absolute names
    /// (<see cref="DnsEgressResolver"/>), so the search path never applies; these names are refused before that.
    /// </summary>
    public static string? ClusterNameProblem(string host, string clusterDomain)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.TrimEnd('.').ToLowerInvariant();
        var domain = (clusterDomain ?? "").Trim('.').ToLowerInvariant();
        if (!name.Contains('.', StringComparison.Ordinal))
        {
            return "a single-label name, which cluster DNS resolves as a Service or with the search path";
        }

        if (name.EndsWith(".svc", StringComparison.Ordinal))
        {
            return "a cluster Service name (.svc)";
        }

        if (domain.Length > 0 && (name == domain || name.EndsWith("." + domain, StringComparison.Ordinal)))
        {
            return $"a name in the cluster domain {domain} (Sandbox:ClusterDomain)";
        }

        return null;
    }

    /// <summary>
    /// Admits or rejects <paramref name="execution"/>. <paramref name="runtime"/> is null when the named (or default)
    /// runtime does not exist. <paramref name="resolvedHosts"/> maps each of <see cref="HostsToResolve"/> to its
    /// addresses (needed only for network mode Egress). Every problem is reported, not only the first.
    /// </summary>
    public static AdmissionResult Admit(
        CodeExecution execution,
        CodeRuntime? runtime,
        SandboxOptions options,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? resolvedHosts = null) =>
        Check(execution, runtime, options, resolvedHosts, resolve: true);

    /// <summary>
    /// Every check of <see cref="Admit"/> that needs no DNS lookup and no API read: the code source's shape, env, the
    /// runtime, files, limits and the network request against the runtime's allow-list, with the same messages. The
    /// allowed hosts are not resolved, so <see cref="AdmissionResult.Egress"/> lists them without addresses. The
    /// reconciler runs this before an execution may wait in the queue, and <see cref="Admit"/> (with the lookups) only
    /// once a slot is free: a waiting execution costs no lookup.
    /// </summary>
    public static AdmissionResult AdmitBeforeResolving(CodeExecution execution, CodeRuntime? runtime, SandboxOptions options) =>
        Check(execution, runtime, options, null, resolve: false);

    private static AdmissionResult Check(
        CodeExecution execution,
        CodeRuntime? runtime,
        SandboxOptions options,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? resolvedHosts,
        bool resolve)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(options);
        var spec = execution.Spec;
        var errors = new List<string>();

        CheckCodeSource(spec, errors);
        CheckEnv(spec, errors);
        CheckTtl(spec, options, errors);

        if (runtime is null)
        {
            errors.Add(spec.Runtime is null
                ? "spec.runtime is not set and no CodeRuntime is annotated " + ApiConstants.DefaultRuntimeAnnotation + "=true"
                : $"CodeRuntime \"{spec.Runtime}\" not found");
            return AdmissionResult.Rejected(errors, spec.Runtime);
        }

        var runtimeName = runtime.Metadata.Name ?? spec.Runtime ?? "";
        var namespaceName = execution.Metadata.NamespaceProperty;
        if (!IsAllowedIn(runtime, namespaceName))
        {
            // Nothing else of a runtime the namespace may not use is checked: its limits and egress are not offered here.
            errors.Add($"runtime {runtimeName} may not be used in namespace {namespaceName}: the runtime's spec.allowedNamespaces does not list it");
            return AdmissionResult.Rejected(errors, runtimeName);
        }

        CheckStartupHookEnv(spec, runtime, runtimeName, errors);
        CheckRuntime(runtime, runtimeName, options, errors);
        CheckFiles(spec, runtime, errors);
        var limits = ResolveLimits(spec.Limits, runtime, runtimeName, options, errors);
        var egress = CheckNetwork(spec.Network, runtime, runtimeName, options, resolvedHosts, resolve, errors);

        return errors.Count == 0
            ? AdmissionResult.Admitted(limits, egress, runtimeName)
            : AdmissionResult.Rejected(errors, runtimeName);
    }

    private static void CheckCodeSource(CodeExecutionSpec spec, List<string> errors)
    {
        var from = spec.CodeFrom;
        var hasFrom = from is not null;
        if (string.IsNullOrEmpty(spec.Code) && !hasFrom)
        {
            errors.Add("no code: set spec.code or spec.codeFrom");
        }
        else if (!string.IsNullOrEmpty(spec.Code) && hasFrom)
        {
            errors.Add("both spec.code and spec.codeFrom are set: set exactly one");
        }

        if (from is not null && (from.ConfigMapKeyRef is null) == (from.SecretKeyRef is null))
        {
            errors.Add("spec.codeFrom must set exactly one of configMapKeyRef and secretKeyRef");
        }
    }

    private static void CheckTtl(CodeExecutionSpec spec, SandboxOptions options, List<string> errors)
    {
        if (spec.TtlSecondsAfterFinished is { } ttl && ttl > options.MaxTtlSecondsAfterFinished)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"spec.ttlSecondsAfterFinished {ttl} exceeds the cluster maximum {options.MaxTtlSecondsAfterFinished} (Sandbox:MaxTtlSecondsAfterFinished)"));
        }
    }

    /// <summary>
    /// The reason to reject <paramref name="execution"/> for its namespace's count cap
    /// (<see cref="SandboxOptions.MaxExecutionsPerNamespace"/>), or null. <paramref name="namespaceExecutions"/> are the
    /// CodeExecutions the namespace holds (the operator's cache); those being deleted are not counted. The execution is
    /// refused when at least the maximum were created before it (earlier creationTimestamp, then name), so a burst
    /// admits its first ones and older executions are never displaced by newer ones.
    /// </summary>
    public static string? CheckNamespaceCount(CodeExecution execution, IEnumerable<CodeExecution> namespaceExecutions, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(namespaceExecutions);
        ArgumentNullException.ThrowIfNull(options);
        var max = options.MaxExecutionsPerNamespace;
        if (max <= 0)
        {
            return null;
        }

        var mine = (execution.Metadata.CreationTimestamp ?? DateTime.MaxValue, execution.Metadata.Name ?? "");
        var held = 0;
        var before = 0;
        foreach (var other in namespaceExecutions)
        {
            if (other.Metadata.DeletionTimestamp is not null || other.Metadata.Uid == execution.Metadata.Uid)
            {
                continue;
            }

            held++;
            var theirs = (other.Metadata.CreationTimestamp ?? DateTime.MaxValue, other.Metadata.Name ?? "");
            if (theirs.Item1 < mine.Item1 || (theirs.Item1 == mine.Item1 && string.CompareOrdinal(theirs.Item2, mine.Item2) < 0))
            {
                before++;
            }
        }

        return before < max
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"namespace {execution.Metadata.NamespaceProperty} holds {held + 1} CodeExecutions, at most {max} (Sandbox:MaxExecutionsPerNamespace): delete finished ones or wait for their ttlSecondsAfterFinished");
    }

    private static void CheckEnv(CodeExecutionSpec spec, List<string> errors)
    {
        foreach (var env in spec.Env ?? [])
        {
            if (ReservedEnvNames.Contains(env.Name) || env.Name.StartsWith(ReservedEnvPrefix, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"spec.env {env.Name} is set by the operator and cannot be overridden");
            }
        }
    }

    private static void CheckStartupHookEnv(CodeExecutionSpec spec, CodeRuntime runtime, string runtimeName, List<string> errors)
    {
        if (runtime.Spec.AllowStartupHookEnv)
        {
            return;
        }

        foreach (var env in spec.Env ?? [])
        {
            if (IsStartupHookEnv(env.Name))
            {
                errors.Add($"spec.env {env.Name} makes the loader, shell or interpreter run code before the program starts; "
                           + $"the runtime {runtimeName} does not allow such variables (its spec.allowStartupHookEnv is false)");
            }
        }
    }

    private static void CheckRuntime(CodeRuntime runtime, string runtimeName, SandboxOptions options, List<string> errors)
    {
        if (runtime.Spec.RunAsUser <= 0 || runtime.Spec.RunAsGroup <= 0)
        {
            errors.Add($"the runtime {runtimeName} must run as a non-zero user and group");
        }

        if (runtime.Spec.RunAsUser == options.CollectorUid)
        {
            errors.Add($"the runtime {runtimeName} runs as UID {runtime.Spec.RunAsUser}, the output collector's UID; the administrator must choose another");
        }

        if (string.IsNullOrEmpty(runtime.Spec.Image) || runtime.Spec.Command.Count == 0 || string.IsNullOrEmpty(runtime.Spec.FileName))
        {
            errors.Add($"the runtime {runtimeName} is incomplete: it needs image, command and fileName");
        }
    }

    private static void CheckFiles(CodeExecutionSpec spec, CodeRuntime runtime, List<string> errors)
    {
        var files = spec.Files ?? [];
        for (var i = 0; i < files.Count; i++)
        {
            var name = files[i].Name;
            if (string.Equals(name, runtime.Spec.FileName, StringComparison.Ordinal))
            {
                errors.Add($"spec.files[{i}].name {name} is the code file name of the runtime: choose another name");
            }

            if (name.Length > MaxInputFileNameLength)
            {
                errors.Add($"spec.files[{i}].name is {name.Length} characters long; at most {MaxInputFileNameLength}");
            }
        }
    }

    private static EffectiveLimits ResolveLimits(ExecutionLimits? asked, CodeRuntime runtime, string runtimeName, SandboxOptions options, List<string> errors)
    {
        var defaults = runtime.Spec.DefaultLimits;
        var max = runtime.Spec.MaxLimits;

        var timeout = ResolveInt("limits.timeoutSeconds", asked?.TimeoutSeconds, defaults?.TimeoutSeconds, EffectiveLimits.BuiltInTimeoutSeconds, max?.TimeoutSeconds, runtimeName, errors);
        var processes = ResolveInt("limits.processes", asked?.Processes, defaults?.Processes, EffectiveLimits.BuiltInProcesses, max?.Processes, runtimeName, errors);
        var output = ResolveInt("limits.outputBytes", asked?.OutputBytes, defaults?.OutputBytes, Math.Min(options.DefaultOutputBytes, options.MaxOutputBytes), max?.OutputBytes, runtimeName, errors);
        var clusterMax = Math.Min(options.MaxOutputBytes, ApiConstants.MaxOutputBytes);
        if (output > clusterMax)
        {
            errors.Add($"limits.outputBytes {output.ToString(CultureInfo.InvariantCulture)} exceeds the cluster maximum {clusterMax.ToString(CultureInfo.InvariantCulture)}");
        }

        var cpu = ResolveQuantity("limits.cpu", asked?.Cpu, defaults?.Cpu, EffectiveLimits.BuiltInCpu, max?.Cpu, runtimeName, errors);
        var memory = ResolveQuantity("limits.memory", asked?.Memory, defaults?.Memory, EffectiveLimits.BuiltInMemory, max?.Memory, runtimeName, errors);
        var tmp = ResolveQuantity("limits.tmpSize", asked?.TmpSize, defaults?.TmpSize, EffectiveLimits.BuiltInTmpSize, max?.TmpSize, runtimeName, errors);
        return new EffectiveLimits(timeout, cpu, memory, processes, tmp, output);
    }

    private static int ResolveInt(string field, int? asked, int? runtimeDefault, int builtIn, int? max, string runtimeName, List<string> errors)
    {
        var value = asked ?? runtimeDefault ?? (max is { } m ? Math.Min(builtIn, m) : builtIn);
        if (value <= 0)
        {
            errors.Add($"{field} must be greater than 0, not {value.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (max is { } limit && value > limit)
        {
            errors.Add($"{field} {value.ToString(CultureInfo.InvariantCulture)}{Origin(asked, runtimeDefault)} exceeds the runtime {runtimeName} maximum {limit.ToString(CultureInfo.InvariantCulture)}");
        }

        return value;
    }

    private static ResourceQuantity ResolveQuantity(string field, ResourceQuantity? asked, ResourceQuantity? runtimeDefault, string builtIn, ResourceQuantity? max, string runtimeName, List<string> errors)
    {
        ResourceQuantity value;
        try
        {
            var builtInValue = new ResourceQuantity(builtIn);
            value = asked ?? runtimeDefault ?? (max is not null && Quantities.Compare(max, builtInValue) < 0 ? max : builtInValue);
            if (Quantities.Compare(value, new ResourceQuantity("0")) <= 0)
            {
                errors.Add($"{field} must be greater than 0, not {value}");
            }
            else if (max is not null && Quantities.Compare(value, max) > 0)
            {
                errors.Add($"{field} {value}{Origin(asked, runtimeDefault)} exceeds the runtime {runtimeName} maximum {max}");
            }
        }
        catch (FormatException e)
        {
            errors.Add($"{field} is not a valid quantity: {e.Message}");
            value = new ResourceQuantity(builtIn);
        }

        return value;
    }

    private static string Origin(object? asked, object? runtimeDefault) =>
        asked is not null ? "" : runtimeDefault is not null ? " (the runtime default)" : " (the built-in default)";

    private static List<PinnedHost> CheckNetwork(
        NetworkAccess? network,
        CodeRuntime runtime,
        string runtimeName,
        SandboxOptions options,
        IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? resolvedHosts,
        bool resolve,
        List<string> errors)
    {
        var pinned = new List<PinnedHost>();
        var mode = network?.Mode ?? NetworkModes.None;
        if (mode == NetworkModes.None)
        {
            return pinned;
        }

        if (mode != NetworkModes.Egress)
        {
            errors.Add($"spec.network.mode {mode} is not one of None, Egress");
            return pinned;
        }

        if (runtime.Spec.Egress is not { Allowed: true } policy)
        {
            errors.Add($"spec.network.mode Egress is not allowed by the runtime {runtimeName}");
            return pinned;
        }

        var hosts = network!.AllowedHosts ?? [];
        if (hosts.Count == 0)
        {
            errors.Add("spec.network.allowedHosts must name at least one host when mode is Egress");
        }

        var (allowedNetworks, invalidCidrs) = EgressAddresses.ParseCidrs(policy.AllowedCIDRs);
        foreach (var invalid in invalidCidrs)
        {
            errors.Add($"the runtime {runtimeName} has an invalid egress.allowedCIDRs entry: {invalid}");
        }

        // Only the resolved addresses are classified: the checks before resolving (every queued recheck) skip the parse.
        List<IPNetwork> clusterNetworks = resolve ? EgressAddresses.ParseCidrs(options.ClusterCIDRs).Networks : [];
        var allowed = new HashSet<string>(policy.AllowedHosts ?? [], StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!allowed.Contains(host))
            {
                errors.Add($"spec.network.allowedHosts {host} is not in the allow-list of the runtime {runtimeName}");
                continue;
            }

            if (ClusterNameProblem(host, options.ClusterDomain) is { } clusterName)
            {
                errors.Add($"spec.network.allowedHosts {host} is {clusterName}: egress goes only to public hosts");
                continue;
            }

            if (!resolve)
            {
                pinned.Add(new PinnedHost(host.ToLowerInvariant(), []));
                continue;
            }

            if (resolvedHosts is null || !resolvedHosts.TryGetValue(host, out var addresses) || addresses.Count == 0)
            {
                errors.Add($"spec.network.allowedHosts {host} did not resolve to any address");
                continue;
            }

            var refused = false;
            foreach (var address in addresses)
            {
                var classified = EgressAddresses.Classify(address, clusterNetworks);
                if (classified.IsPublic || EgressAddresses.IsReallowed(classified, allowedNetworks))
                {
                    continue;
                }

                refused = true;
                errors.Add(classified.NeverAllowed
                    ? $"spec.network.allowedHosts {host} resolves to {address}, {classified.Describe()}, which a sandbox may never reach"
                    : $"spec.network.allowedHosts {host} resolves to {address}, {classified.Describe()}, which is not public and not in the egress.allowedCIDRs of the runtime {runtimeName}");
            }

            if (refused)
            {
                continue;
            }

            var sorted = addresses.Select(Normalize).Distinct().OrderBy(a => a.AddressFamily).ThenBy(a => a.ToString(), StringComparer.Ordinal).ToList();
            pinned.Add(new PinnedHost(host.ToLowerInvariant(), sorted));
        }

        return pinned;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
