using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace CodeExec.Testing.PodSecurity;

/// <summary>The Pod Security Standards levels (<c>k8s.io/pod-security-admission/api</c> <c>Level</c>).</summary>
public enum PodSecurityLevel
{
    Privileged,
    Baseline,
    Restricted,
}

/// <summary>
/// One failed control: the upstream check's ID (<c>allowPrivilegeEscalation</c>, <c>capabilities_restricted</c>, ...),
/// its reason and its detail, worded as pod-security-admission words them.
/// </summary>
public sealed record PodSecurityViolation(string CheckId, string Reason, string Detail)
{
    /// <summary><c>reason (detail)</c>, as one entry of the admission message.</summary>
    public override string ToString() => Detail.Length == 0 ? Reason : $"{Reason} ({Detail})";
}

/// <summary>
/// Every control of the Kubernetes Pod Security Standards (baseline and restricted), written from the standard and
/// the facts of <c>k8s.io/pod-security-admission/policy/check_*.go</c>: which fields each check reads, which values
/// it allows, from which policy version, and how it words a violation. Checks run in upstream's order (baseline
/// checks, then the overlapping baseline checks at level baseline or the restricted checks at level restricted), so
/// <see cref="Describe"/> matches the admission message. Usable on any pod, as JSON or as a <see cref="V1Pod"/>.
/// </summary>
public static class PodSecurityStandards
{
    /// <summary>The newest policy version this checker knows; <c>latest</c> evaluates as this one.</summary>
    public const int LatestMinor = 35;

    private static readonly HashSet<string> BaselineCapabilities =
        ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

    private static readonly string[] AllowedVolumeSources =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] RestrictedVolumeSources =
    [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder",
        "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
        "scaleIO", "storageos",
    ];

    private delegate PodSecurityViolation? CheckFn(JsonObject metadata, JsonObject spec, int minor);

    private static readonly (string Id, CheckFn Check)[] BaselineChecks =
    [
        ("appArmorProfile", AppArmorProfile),
        ("hostNamespaces", HostNamespaces),
        ("hostPorts", HostPorts),
        ("hostProbesAndHostLifecycle", HostProbesAndHostLifecycle),
        ("privileged", Privileged),
        ("procMount", ProcMount),
        ("seLinuxOptions", SeLinuxOptions),
        ("sysctls", Sysctls),
        ("windowsHostProcess", WindowsHostProcess),
    ];

    /// <summary>Baseline checks a restricted check replaces (<c>Overlap: true</c>): run only at level baseline.</summary>
    private static readonly (string Id, CheckFn Check)[] OverlappingBaselineChecks =
    [
        ("capabilities_baseline", CapabilitiesBaseline),
        ("hostPathVolumes", HostPathVolumes),
        ("seccompProfile_baseline", SeccompProfileBaseline),
        ("volumes_baseline", BaselineVolumes),
    ];

    private static readonly (string Id, CheckFn Check)[] RestrictedChecks =
    [
        ("allowPrivilegeEscalation", AllowPrivilegeEscalation),
        ("capabilities_restricted", CapabilitiesRestricted),
        ("restrictedVolumes", RestrictedVolumes),
        ("runAsNonRoot", RunAsNonRoot),
        ("runAsUser", RunAsUser),
        ("seccompProfile_restricted", SeccompProfileRestricted),
    ];

    /// <summary>The violations of <paramref name="pod"/> at <paramref name="level"/> and <paramref name="version"/> (<c>latest</c> or <c>v1.N</c>).</summary>
    public static IReadOnlyList<PodSecurityViolation> Check(JsonObject pod, PodSecurityLevel level, string version = "latest")
    {
        if (level == PodSecurityLevel.Privileged)
        {
            return [];
        }

        var minor = ParseVersion(version) ?? throw new ArgumentException($"not a Pod Security version: {version}", nameof(version));
        var metadata = pod["metadata"] as JsonObject ?? [];
        var spec = pod["spec"] as JsonObject ?? [];
        var checks = BaselineChecks.Concat(level == PodSecurityLevel.Baseline ? OverlappingBaselineChecks : RestrictedChecks);
        return [.. checks.Select(c => c.Check(metadata, spec, minor)).OfType<PodSecurityViolation>()];
    }

    /// <inheritdoc cref="Check(JsonObject, PodSecurityLevel, string)"/>
    public static IReadOnlyList<PodSecurityViolation> Check(V1Pod pod, PodSecurityLevel level, string version = "latest") =>
        Check((JsonObject)JsonNode.Parse(KubernetesJson.Serialize(pod))!, level, version);

    /// <summary>The violations joined as the admission message lists them: <c>reason (detail), reason (detail)</c>.</summary>
    public static string Describe(IEnumerable<PodSecurityViolation> violations) => string.Join(", ", violations);

    /// <summary>Parses a level label value (<c>privileged</c>, <c>baseline</c>, <c>restricted</c>).</summary>
    public static PodSecurityLevel? ParseLevel(string? text) => text switch
    {
        "privileged" => PodSecurityLevel.Privileged,
        "baseline" => PodSecurityLevel.Baseline,
        "restricted" => PodSecurityLevel.Restricted,
        _ => null,
    };

    /// <summary>The minor version of <c>latest</c> or <c>v1.N</c> (latest is <see cref="LatestMinor"/>); null when invalid.</summary>
    public static int? ParseVersion(string? text)
    {
        if (string.IsNullOrEmpty(text) || text == "latest")
        {
            return LatestMinor;
        }

        return text.StartsWith("v1.", StringComparison.Ordinal) && int.TryParse(text[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            ? Math.Min(minor, LatestMinor)
            : null;
    }

    // ---- baseline ----

    private static PodSecurityViolation? AppArmorProfile(JsonObject metadata, JsonObject spec, int minor)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        if (spec["securityContext"]?["appArmorProfile"] is JsonObject podProfile && !AllowedAppArmorType(podProfile))
        {
            setters.Add("pod");
            values.Add(Str(podProfile, "type") ?? "");
        }

        var containers = new List<string>();
        foreach (var container in Containers(spec))
        {
            if (container["securityContext"]?["appArmorProfile"] is JsonObject profile && !AllowedAppArmorType(profile))
            {
                containers.Add(Name(container));
                values.Add(Str(profile, "type") ?? "");
            }
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        var annotations = new List<string>();
        foreach (var (key, value) in metadata["annotations"] as JsonObject ?? [])
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
            if (key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal)
                && !(text.Length == 0 || text == "runtime/default" || text.StartsWith("localhost/", StringComparison.Ordinal)))
            {
                annotations.Add($"{key}={GoQuote(text)}");
            }
        }

        var valueList = values.ToList();
        if (annotations.Count > 0)
        {
            annotations.Sort(StringComparer.Ordinal);
            valueList.AddRange(annotations);
            setters.Add(Pluralize("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0 ? null : new("appArmorProfile",
            Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.Count),
            $"{string.Join(" and ", setters)} must not set AppArmor profile type to {JoinQuote(valueList)}");
    }

    private static bool AllowedAppArmorType(JsonObject profile) => Str(profile, "type") is "RuntimeDefault" or "Localhost";

    private static PodSecurityViolation? HostNamespaces(JsonObject metadata, JsonObject spec, int minor)
    {
        var used = new[] { "hostIPC", "hostNetwork", "hostPID" }.Where(f => Bool(spec, f) == true).ToList();
        return used.Count == 0 ? null : new("hostNamespaces", "host namespaces", string.Join(", ", used));
    }

    private static PodSecurityViolation? HostPorts(JsonObject metadata, JsonObject spec, int minor)
    {
        var containers = new List<string>();
        var ports = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in Containers(spec))
        {
            var bad = false;
            foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (Long(port, "hostPort") is { } hostPort and not 0)
                {
                    bad = true;
                    ports.Add(hostPort.ToString(CultureInfo.InvariantCulture));
                }
            }

            if (bad)
            {
                containers.Add(Name(container));
            }
        }

        return containers.Count == 0 ? null : new("hostPorts", "hostPort",
            $"{Containers(containers)} {Pluralize("uses", "use", containers.Count)} {Pluralize("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}");
    }

    private static PodSecurityViolation? HostProbesAndHostLifecycle(JsonObject metadata, JsonObject spec, int minor)
    {
        if (minor < 34)
        {
            return null;
        }

        var containers = new SortedSet<string>(StringComparer.Ordinal);
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in Containers(spec))
        {
            var handlers = new[] { container["livenessProbe"], container["readinessProbe"], container["startupProbe"],
                container["lifecycle"]?["postStart"], container["lifecycle"]?["preStop"] };
            foreach (var handler in handlers.OfType<JsonObject>())
            {
                foreach (var action in new[] { "httpGet", "tcpSocket" })
                {
                    if (handler[action] is JsonObject target && Str(target, "host") is { Length: > 0 } host)
                    {
                        containers.Add(Name(container));
                        hosts.Add(host);
                    }
                }
            }
        }

        return containers.Count == 0 ? null : new("hostProbesAndHostLifecycle", "probe or lifecycle host",
            $"{Containers(containers.ToList())} {Pluralize("uses", "use", containers.Count)} {Pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.Count)} {JoinQuote(hosts.ToList())}");
    }

    private static PodSecurityViolation? Privileged(JsonObject metadata, JsonObject spec, int minor)
    {
        var bad = Containers(spec).Where(c => Bool(c["securityContext"] as JsonObject, "privileged") == true).Select(Name).ToList();
        return bad.Count == 0 ? null : new("privileged", "privileged", $"{Containers(bad)} must not set securityContext.privileged=true");
    }

    private static PodSecurityViolation? ProcMount(JsonObject metadata, JsonObject spec, int minor)
    {
        if (UserNamespaced(spec))
        {
            return null;
        }

        var bad = new List<string>();
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in Containers(spec))
        {
            if (Str(container["securityContext"] as JsonObject, "procMount") is { } procMount && procMount != "Default")
            {
                bad.Add(Name(container));
                types.Add(procMount);
            }
        }

        return bad.Count == 0 ? null : new("procMount", "procMount", $"{Containers(bad)} must not set securityContext.procMount to {JoinQuote(types.ToList())}");
    }

    private static PodSecurityViolation? SeLinuxOptions(JsonObject metadata, JsonObject spec, int minor)
    {
        HashSet<string> allowed = minor >= 31
            ? ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]
            : ["", "container_t", "container_init_t", "container_kvm_t"];
        var badTypes = new SortedSet<string>(StringComparer.Ordinal);
        var setUser = false;
        var setRole = false;
        bool Valid(JsonObject options)
        {
            var valid = true;
            var type = Str(options, "type") ?? "";
            if (!allowed.Contains(type))
            {
                valid = false;
                badTypes.Add(type);
            }

            if (Str(options, "user") is { Length: > 0 })
            {
                valid = false;
                setUser = true;
            }

            if (Str(options, "role") is { Length: > 0 })
            {
                valid = false;
                setRole = true;
            }

            return valid;
        }

        var setters = new List<string>();
        if (spec["securityContext"]?["seLinuxOptions"] is JsonObject podOptions && !Valid(podOptions))
        {
            setters.Add("pod");
        }

        var containers = Containers(spec).Where(c => c["securityContext"]?["seLinuxOptions"] is JsonObject o && !Valid(o)).Select(Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        if (setters.Count == 0)
        {
            return null;
        }

        // As upstream words it: the user and role notes are listed only together with a forbidden type.
        var data = new List<string>();
        if (badTypes.Count > 0)
        {
            data.Add($"{Pluralize("type", "types", badTypes.Count)} {JoinQuote(badTypes.ToList())}");
            if (setUser)
            {
                data.Add("user may not be set");
            }

            if (setRole)
            {
                data.Add("role may not be set");
            }
        }

        return new("seLinuxOptions", "seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", data)}");
    }

    private static PodSecurityViolation? Sysctls(JsonObject metadata, JsonObject spec, int minor)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        };
        if (minor >= 27)
        {
            allowed.Add("net.ipv4.ip_local_reserved_ports");
        }

        if (minor >= 29)
        {
            allowed.UnionWith(["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
        }

        if (minor >= 32)
        {
            allowed.UnionWith(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
        }

        var bad = (spec["securityContext"]?["sysctls"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(s => Str(s, "name") ?? "").Where(n => !allowed.Contains(n)).ToList();
        return bad.Count == 0 ? null : new("sysctls", "forbidden sysctls", string.Join(", ", bad));
    }

    private static PodSecurityViolation? WindowsHostProcess(JsonObject metadata, JsonObject spec, int minor)
    {
        var setters = new List<string>();
        if (Bool(spec["securityContext"]?["windowsOptions"] as JsonObject, "hostProcess") == true)
        {
            setters.Add("pod");
        }

        var containers = Containers(spec).Where(c => Bool(c["securityContext"]?["windowsOptions"] as JsonObject, "hostProcess") == true).Select(Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0 ? null : new("windowsHostProcess", "hostProcess",
            $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true");
    }

    // ---- baseline, replaced at restricted ----

    private static PodSecurityViolation? CapabilitiesBaseline(JsonObject metadata, JsonObject spec, int minor)
    {
        var bad = new List<string>();
        var capabilities = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in Containers(spec))
        {
            var added = Strings(container["securityContext"]?["capabilities"]?["add"]).Where(c => !BaselineCapabilities.Contains(c)).ToList();
            if (added.Count > 0)
            {
                bad.Add(Name(container));
                capabilities.UnionWith(added);
            }
        }

        return bad.Count == 0 ? null : new("capabilities_baseline", "non-default capabilities",
            $"{Containers(bad)} must not include {JoinQuote(capabilities.ToList())} in securityContext.capabilities.add");
    }

    private static PodSecurityViolation? HostPathVolumes(JsonObject metadata, JsonObject spec, int minor)
    {
        var bad = Volumes(spec).Where(v => v["hostPath"] is not null).Select(Name).ToList();
        return bad.Count == 0 ? null : new("hostPathVolumes", "hostPath volumes", $"{Pluralize("volume", "volumes", bad.Count)} {JoinQuote(bad)}");
    }

    private static PodSecurityViolation? SeccompProfileBaseline(JsonObject metadata, JsonObject spec, int minor)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        if (spec["securityContext"]?["seccompProfile"] is JsonObject podProfile && !ValidSeccomp(podProfile))
        {
            setters.Add("pod");
            values.Add(Str(podProfile, "type") ?? "");
        }

        var bad = new List<string>();
        foreach (var container in Containers(spec))
        {
            if (container["securityContext"]?["seccompProfile"] is JsonObject profile && !ValidSeccomp(profile))
            {
                bad.Add(Name(container));
                values.Add(Str(profile, "type") ?? "");
            }
        }

        if (bad.Count > 0)
        {
            setters.Add(Containers(bad));
        }

        return setters.Count == 0 ? null : new("seccompProfile_baseline", "seccompProfile",
            $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values.ToList())}");
    }

    private static PodSecurityViolation? BaselineVolumes(JsonObject metadata, JsonObject spec, int minor)
    {
        if (minor < 31)
        {
            return null;
        }

        var bad = Volumes(spec).Where(v => v["gitRepo"] is not null).Select(Name).ToList();
        return bad.Count == 0 ? null : new("volumes_baseline", "restricted volume types",
            $"{Pluralize("volume", "volumes", bad.Count)} {JoinQuote(bad)} {Pluralize("uses", "use", bad.Count)} restricted volume type \"gitRepo\"");
    }

    // ---- restricted ----

    private static PodSecurityViolation? AllowPrivilegeEscalation(JsonObject metadata, JsonObject spec, int minor)
    {
        if (minor < 8)
        {
            return null;
        }

        var bad = Containers(spec).Where(c => Bool(c["securityContext"] as JsonObject, "allowPrivilegeEscalation") != false).Select(Name).ToList();
        return bad.Count == 0 ? null : new("allowPrivilegeEscalation", "allowPrivilegeEscalation != false",
            $"{Containers(bad)} must set securityContext.allowPrivilegeEscalation=false");
    }

    private static PodSecurityViolation? CapabilitiesRestricted(JsonObject metadata, JsonObject spec, int minor)
    {
        if (minor < 22)
        {
            return null;
        }

        var missingDropAll = new List<string>();
        var addingForbidden = new List<string>();
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in Containers(spec))
        {
            if (container["securityContext"]?["capabilities"] is not JsonObject capabilities)
            {
                missingDropAll.Add(Name(container));
                continue;
            }

            if (!Strings(capabilities["drop"]).Contains("ALL"))
            {
                missingDropAll.Add(Name(container));
            }

            var added = Strings(capabilities["add"]).Where(c => c != "NET_BIND_SERVICE").ToList();
            if (added.Count > 0)
            {
                addingForbidden.Add(Name(container));
                forbidden.UnionWith(added);
            }
        }

        var details = new List<string>();
        if (missingDropAll.Count > 0)
        {
            details.Add($"{Containers(missingDropAll)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (addingForbidden.Count > 0)
        {
            details.Add($"{Containers(addingForbidden)} must not include {JoinQuote(forbidden.ToList())} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? null : new("capabilities_restricted", "unrestricted capabilities", string.Join("; ", details));
    }

    private static PodSecurityViolation? RestrictedVolumes(JsonObject metadata, JsonObject spec, int minor)
    {
        var bad = new List<string>();
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var volume in Volumes(spec))
        {
            if (AllowedVolumeSources.Any(s => volume[s] is not null))
            {
                continue;
            }

            bad.Add(Name(volume));
            types.Add(RestrictedVolumeSources.FirstOrDefault(s => volume[s] is not null) ?? "unknown");
        }

        return bad.Count == 0 ? null : new("restrictedVolumes", "restricted volume types",
            $"{Pluralize("volume", "volumes", bad.Count)} {JoinQuote(bad)} {Pluralize("uses", "use", bad.Count)} {Pluralize("restricted volume type", "restricted volume types", types.Count)} {JoinQuote(types.ToList())}");
    }

    private static PodSecurityViolation? RunAsNonRoot(JsonObject metadata, JsonObject spec, int minor)
    {
        if (UserNamespaced(spec))
        {
            return null;
        }

        var setters = new List<string>();
        var podNonRoot = false;
        switch (Bool(spec["securityContext"] as JsonObject, "runAsNonRoot"))
        {
            case false:
                setters.Add("pod");
                break;
            case true:
                podNonRoot = true;
                break;
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in Containers(spec))
        {
            switch (Bool(container["securityContext"] as JsonObject, "runAsNonRoot"))
            {
                case false:
                    explicitlyBad.Add(Name(container));
                    break;
                case null when !podNonRoot:
                    implicitlyBad.Add(Name(container));
                    break;
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new("runAsNonRoot", "runAsNonRoot != true", $"{string.Join(" and ", setters)} must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0 ? null : new("runAsNonRoot", "runAsNonRoot != true",
            $"pod or {Containers(implicitlyBad)} must set securityContext.runAsNonRoot=true");
    }

    private static PodSecurityViolation? RunAsUser(JsonObject metadata, JsonObject spec, int minor)
    {
        if (minor < 23 || UserNamespaced(spec))
        {
            return null;
        }

        var setters = new List<string>();
        if (Long(spec["securityContext"] as JsonObject, "runAsUser") == 0)
        {
            setters.Add("pod");
        }

        var bad = Containers(spec).Where(c => Long(c["securityContext"] as JsonObject, "runAsUser") == 0).Select(Name).ToList();
        if (bad.Count > 0)
        {
            setters.Add(Containers(bad));
        }

        return setters.Count == 0 ? null : new("runAsUser", "runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0");
    }

    private static PodSecurityViolation? SeccompProfileRestricted(JsonObject metadata, JsonObject spec, int minor)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        var podSet = false;
        if (spec["securityContext"]?["seccompProfile"] is JsonObject podProfile)
        {
            if (!ValidSeccomp(podProfile))
            {
                setters.Add("pod");
                values.Add(Str(podProfile, "type") ?? "");
            }
            else
            {
                podSet = true;
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in Containers(spec))
        {
            if (container["securityContext"]?["seccompProfile"] is JsonObject profile)
            {
                if (!ValidSeccomp(profile))
                {
                    explicitlyBad.Add(Name(container));
                    values.Add(Str(profile, "type") ?? "");
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new("seccompProfile_restricted", "seccompProfile",
                $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values.ToList())}");
        }

        return implicitlyBad.Count == 0 ? null : new("seccompProfile_restricted", "seccompProfile",
            $"pod or {Containers(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }

    // ---- helpers ----

    private static bool ValidSeccomp(JsonObject profile) => Str(profile, "type") is "RuntimeDefault" or "Localhost";

    /// <summary><c>relaxPolicyForUserNamespacePod</c>: a pod with <c>hostUsers: false</c> runs in a user namespace.</summary>
    private static bool UserNamespaced(JsonObject spec) => Bool(spec, "hostUsers") == false;

    /// <summary><c>visitContainers</c>: init containers, containers, then ephemeral containers.</summary>
    private static IEnumerable<JsonObject> Containers(JsonObject spec) =>
        new[] { "initContainers", "containers", "ephemeralContainers" }.SelectMany(list => (spec[list] as JsonArray ?? []).OfType<JsonObject>());

    private static IEnumerable<JsonObject> Volumes(JsonObject spec) => (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>();

    private static string Containers(List<string> names) => $"{Pluralize("container", "containers", names.Count)} {JoinQuote(names)}";

    private static string Name(JsonObject obj) => Str(obj, "name") ?? "";

    private static string Pluralize(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string JoinQuote(IReadOnlyCollection<string> items) => items.Count == 0 ? "" : "\"" + string.Join("\", \"", items) + "\"";

    /// <summary>Go's <c>%q</c> for the plain strings annotations hold.</summary>
    private static string GoQuote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string? Str(JsonObject? obj, string key) => obj?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool? Bool(JsonObject? obj, string key) => obj?[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    private static long? Long(JsonObject? obj, string key) => obj?[key] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static IEnumerable<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>();
}
