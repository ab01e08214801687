using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Emulator.Admission;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>
/// Pod validation through the emulator's HTTP API, one test per upstream rule, each named after the function of
/// <c>pkg/apis/core/validation/validation.go</c> it mirrors. Each test shows the refusal (422 Invalid, the cause's field
/// and message, the Status message) and that the valid variant is accepted.
/// </summary>
public sealed partial class PodValidationTests : EmulatorTest
{
    /// <summary>
    /// The Priority, RuntimeClass and ServiceAccount admission plugins run before validation (handlers/create.go) and refuse a
    /// name that names no object with 403 first, which would hide the name rules. Clusters may turn them off
    /// (--disable-admission-plugins), and then these rules answer; the plugins have their own tests.
    /// </summary>
    protected override EmulatorOptions Options() =>
        new() { DisabledAdmissionPlugins = { AdmissionPlugins.Priority, AdmissionPlugins.RuntimeClass, AdmissionPlugins.ServiceAccount } };

    // ---- validatePodDNSConfig / validateDNSPolicy ----

    [Fact]
    public async Task validatePodDNSConfig_dnsPolicy_None_needs_a_nameserver()
    {
        await AssertRefusedAsync(Pod(s => { s["dnsPolicy"] = "None"; s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray() }; }),
            "spec.dnsConfig.nameservers", "FieldValueRequired", "Required value: must provide at least one DNS nameserver when `dnsPolicy` is None");
        await AssertAcceptedAsync(Pod(s => { s["dnsPolicy"] = "None"; s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray("127.0.0.1") }; }));
    }

    [Fact]
    public async Task validatePodDNSConfig_dnsPolicy_None_needs_a_dnsConfig()
    {
        await AssertRefusedAsync(Pod(s => s["dnsPolicy"] = "None"),
            "spec.dnsConfig", "FieldValueRequired", "Required value: must provide `dnsConfig` when `dnsPolicy` is None");
    }

    [Fact]
    public async Task validatePodDNSConfig_at_most_three_nameservers()
    {
        await AssertRefusedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4") }),
            "spec.dnsConfig.nameservers", "FieldValueInvalid",
            "Invalid value: []string{\"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\", \"10.0.0.4\"}: must not have more than 3 nameservers");
        await AssertAcceptedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray("10.0.0.1", "10.0.0.2", "::1") }));
    }

    [Fact]
    public async Task validatePodDNSConfig_nameservers_are_IP_addresses()
    {
        await AssertRefusedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray("dns.example.com") }),
            "spec.dnsConfig.nameservers[0]", "FieldValueInvalid", "Invalid value: \"dns.example.com\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        await AssertRefusedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["nameservers"] = new JsonArray("10.1") }),
            "spec.dnsConfig.nameservers[0]", "FieldValueInvalid", "Invalid value: \"10.1\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }

    [Fact]
    public async Task validatePodDNSConfig_searches_are_subdomains_within_the_limits()
    {
        await AssertRefusedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["searches"] = new JsonArray("Bad_Domain") }),
            "spec.dnsConfig.searches[0]", "FieldValueInvalid",
            "Invalid value: \"Bad_Domain\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        var many = new JsonArray([.. Enumerable.Range(0, 33).Select(i => (JsonNode)$"d{i}.example.com")]);
        var refused = await CreateAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["searches"] = many }));
        AssertCause(refused, "spec.dnsConfig.searches", "FieldValueInvalid", null);
        Assert.EndsWith("must not have more than 32 search paths", Cause(refused, "spec.dnsConfig.searches"), StringComparison.Ordinal);
        var long256 = new JsonArray([.. Enumerable.Range(0, 9).Select(i => (JsonNode)(new string((char)('a' + i), 240) + ".x"))]);
        var tooLong = await CreateAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["searches"] = long256 }));
        Assert.EndsWith("must not have more than 2048 characters (including spaces) in the search list", Cause(tooLong, "spec.dnsConfig.searches"), StringComparison.Ordinal);
        await AssertAcceptedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["searches"] = new JsonArray("svc.cluster.local.", "example.com") }));
    }

    [Fact]
    public async Task validatePodDNSConfig_options_are_named()
    {
        await AssertRefusedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["options"] = new JsonArray(new JsonObject { ["value"] = "1" }) }),
            "spec.dnsConfig.options[0]", "FieldValueRequired", "Required value: must not be empty");
        await AssertAcceptedAsync(Pod(s => s["dnsConfig"] = new JsonObject { ["options"] = new JsonArray(new JsonObject { ["name"] = "ndots", ["value"] = "1" }) }));
    }

    [Fact]
    public async Task validateDNSPolicy_known_values_only()
    {
        await AssertRefusedAsync(Pod(s => s["dnsPolicy"] = "Cluster"),
            "spec.dnsPolicy", "FieldValueNotSupported",
            "Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"");
        await AssertAcceptedAsync(Pod(s => s["dnsPolicy"] = "Default"));
    }

    // ---- ValidatePodSpec and the spec-level rules ----

    private const string Dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    [Fact]
    public async Task validateRestartPolicy_known_values_only()
    {
        await AssertRefusedAsync(Pod(s => s["restartPolicy"] = "Sometimes"),
            "spec.restartPolicy", "FieldValueNotSupported", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"");
        await AssertAcceptedAsync(Pod(s => s["restartPolicy"] = "Never"));
    }

    [Fact]
    public async Task ValidatePodSpec_activeDeadlineSeconds_is_positive()
    {
        await AssertRefusedAsync(Pod(s => s["activeDeadlineSeconds"] = 0),
            "spec.activeDeadlineSeconds", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 2147483647, inclusive");
        await AssertAcceptedAsync(Pod(s => s["activeDeadlineSeconds"] = 1));
    }

    [Fact]
    public async Task ValidatePodSpec_terminationGracePeriodSeconds_is_defaulted_and_kept()
    {
        var created = await AssertAcceptedAsync(Pod());
        Assert.Equal(30, created["spec"]!["terminationGracePeriodSeconds"]!.GetValue<int>());
        var zero = await AssertAcceptedAsync(Pod(s => s["terminationGracePeriodSeconds"] = 0));
        Assert.Equal(0, zero["spec"]!["terminationGracePeriodSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task ValidatePodSpec_class_and_account_names_are_DNS_subdomains()
    {
        await AssertRefusedAsync(Pod(s => s["priorityClassName"] = "Sandbox_Class"),
            "spec.priorityClassName", "FieldValueInvalid", "Invalid value: \"Sandbox_Class\": " + Dns1123SubdomainMessage);
        await AssertRefusedAsync(Pod(s => s["runtimeClassName"] = ""),
            "spec.runtimeClassName", "FieldValueInvalid", "Invalid value: \"\": " + Dns1123SubdomainMessage);
        await AssertRefusedAsync(Pod(s => s["serviceAccountName"] = "Robot"),
            "spec.serviceAccountName", "FieldValueInvalid", "Invalid value: \"Robot\": " + Dns1123SubdomainMessage);
        await AssertAcceptedAsync(Pod(s => { s["priorityClassName"] = "codeexec-sandbox"; s["runtimeClassName"] = "gvisor"; s["serviceAccountName"] = "robot"; }));
    }

    [Fact]
    public async Task ValidateHostAliases_ip_and_hostnames()
    {
        await AssertRefusedAsync(Pod(s => s["hostAliases"] = new JsonArray(new JsonObject { ["ip"] = "pypi.org", ["hostnames"] = new JsonArray("pypi.org") })),
            "spec.hostAliases[0].ip", "FieldValueInvalid", "Invalid value: \"pypi.org\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        await AssertRefusedAsync(Pod(s => s["hostAliases"] = new JsonArray(new JsonObject { ["ip"] = "151.101.0.223", ["hostnames"] = new JsonArray("PyPI.org") })),
            "spec.hostAliases[0].hostnames[0]", "FieldValueInvalid", "Invalid value: \"PyPI.org\": " + Dns1123SubdomainMessage);
        await AssertAcceptedAsync(Pod(s => s["hostAliases"] = new JsonArray(new JsonObject { ["ip"] = "2a04:4e42::223", ["hostnames"] = new JsonArray("pypi.org", "files.pythonhosted.org") })));
    }

    [Fact]
    public async Task ValidateTolerations_operator_and_effect()
    {
        await AssertRefusedAsync(Pod(s => s["tolerations"] = new JsonArray(new JsonObject { ["key"] = "k", ["operator"] = "Maybe" })),
            "spec.tolerations[0].operator", "FieldValueNotSupported", "Unsupported value: \"Maybe\": supported values: \"Equal\", \"Exists\"");
        await AssertRefusedAsync(Pod(s => s["tolerations"] = new JsonArray(new JsonObject { ["key"] = "k", ["operator"] = "Exists", ["effect"] = "NoSchedule", ["tolerationSeconds"] = 5 })),
            "spec.tolerations[0].effect", "FieldValueInvalid", "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set");
        await AssertAcceptedAsync(Pod(s => s["tolerations"] = new JsonArray(new JsonObject { ["key"] = "k", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 5 })));
    }

    [Fact]
    public async Task ValidatePodCreate_ephemeral_containers_cannot_be_set_on_create()
    {
        await AssertRefusedAsync(Pod(s => s["ephemeralContainers"] = new JsonArray(new JsonObject { ["name"] = "debug", ["image"] = "busybox", ["terminationMessagePolicy"] = "File", ["imagePullPolicy"] = "Always" })),
            "spec.ephemeralContainers", "FieldValueForbidden", "Forbidden: cannot be set on create");
    }

    [Fact]
    public async Task validatePodSpecSecurityContext_ids_in_range()
    {
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["runAsUser"] = -1 }),
            "spec.securityContext.runAsUser", "FieldValueInvalid", "Invalid value: -1: must be between 0 and 2147483647, inclusive");
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["supplementalGroups"] = new JsonArray(1000, 4294967296L) }),
            "spec.securityContext.supplementalGroups[1]", "FieldValueInvalid", "Invalid value: 4294967296: must be between 0 and 2147483647, inclusive");
        await AssertRefusedAsync(Pod(s => { s["hostPID"] = true; s["shareProcessNamespace"] = true; }),
            "spec.securityContext.shareProcessNamespace", "FieldValueInvalid", "Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled");
        await AssertAcceptedAsync(Pod(s => s["securityContext"] = new JsonObject { ["runAsUser"] = 65532, ["runAsGroup"] = 65532, ["fsGroup"] = 65532, ["runAsNonRoot"] = true }));
    }

    [Fact]
    public async Task validateSeccompProfileField_type_and_localhostProfile()
    {
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "Strict" } }),
            "spec.securityContext.seccompProfile.type", "FieldValueNotSupported",
            "Unsupported value: \"Strict\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"");
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "Localhost" } }),
            "spec.securityContext.seccompProfile.localhostProfile", "FieldValueRequired", "Required value: must be set when seccomp type is Localhost");
        await AssertRefusedAsync(Pod(s => First(s)["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "Localhost", ["localhostProfile"] = "../escape.json" } }),
            "spec.containers[0].securityContext.seccompProfile.localhostProfile", "FieldValueInvalid", "Invalid value: \"../escape.json\": must not contain '..'");
        var both = await CreateAsync(Pod(s => s["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault", ["localhostProfile"] = "p.json" } }));
        AssertCause(both, "spec.securityContext.seccompProfile.localhostProfile", "FieldValueInvalid", null);
        Assert.EndsWith(": can only be set when seccomp type is Localhost", Cause(both, "spec.securityContext.seccompProfile.localhostProfile"), StringComparison.Ordinal);
        await AssertAcceptedAsync(Pod(s => s["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } }));
    }

    [Fact]
    public async Task validateSeccompProfileField_a_Localhost_profile_below_the_kubelet_directory_is_accepted()
    {
        var localhost = new JsonObject { ["type"] = "Localhost", ["localhostProfile"] = "profiles/codeexec.json" };
        await AssertAcceptedAsync(Pod(s =>
        {
            s["securityContext"] = new JsonObject { ["seccompProfile"] = localhost.DeepClone() };
            First(s)["securityContext"] = new JsonObject { ["seccompProfile"] = localhost.DeepClone() };
        }));
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["seccompProfile"] = new JsonObject { ["type"] = "Localhost", ["localhostProfile"] = "/var/lib/kubelet/seccomp/p.json" } }),
            "spec.securityContext.seccompProfile.localhostProfile", "FieldValueInvalid", "Invalid value: \"/var/lib/kubelet/seccomp/p.json\": must be a relative path");
    }

    // ---- validateHostUsers ----

    [Fact]
    public async Task validateHostUsers_a_user_namespace_shares_no_host_namespace()
    {
        await AssertAcceptedAsync(Pod(s => s["hostUsers"] = false));
        await AssertAcceptedAsync(Pod(s => { s["hostUsers"] = true; s["hostPID"] = true; }));
        await AssertRefusedAsync(Pod(s => { s["hostUsers"] = false; s["hostPID"] = true; }),
            "spec.HostPID", "FieldValueForbidden", "Forbidden: when `pod.Spec.HostUsers` is false");
        await AssertRefusedAsync(Pod(s => { s["hostUsers"] = false; s["hostIPC"] = true; }),
            "spec.HostIPC", "FieldValueForbidden", "Forbidden: when `pod.Spec.HostUsers` is false");
        await AssertRefusedAsync(Pod(s => { s["hostUsers"] = false; s["hostNetwork"] = true; }),
            "spec.hostNetwork", "FieldValueForbidden", "Forbidden: when `pod.Spec.HostUsers` is false");
    }

    [Fact]
    public async Task ValidateSecurityContext_procMount_Unmasked_is_accepted_with_spec_hostUsers_false()
    {
        // hostUsers is a PodSpec field in v1 (the internal type keeps it in PodSecurityContext).
        await AssertAcceptedAsync(Pod(s => { s["hostUsers"] = false; First(s)["securityContext"] = new JsonObject { ["procMount"] = "Unmasked" }; }));
    }

    [Fact]
    public async Task ValidateAppArmorProfileField_type_required()
    {
        await AssertRefusedAsync(Pod(s => s["securityContext"] = new JsonObject { ["appArmorProfile"] = new JsonObject() }),
            "spec.securityContext.appArmorProfile.type", "FieldValueRequired", "Required value: type is required when appArmorProfile is set");
        await AssertAcceptedAsync(Pod(s => s["securityContext"] = new JsonObject { ["appArmorProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } }));
    }

    [Fact]
    public async Task ValidateSecurityContext_container_ids_and_privilege_escalation()
    {
        await AssertRefusedAsync(Pod(s => First(s)["securityContext"] = new JsonObject { ["runAsGroup"] = -5 }),
            "spec.containers[0].securityContext.runAsGroup", "FieldValueInvalid", "Invalid value: -5: must be between 0 and 2147483647, inclusive");
        var both = await CreateAsync(Pod(s => First(s)["securityContext"] = new JsonObject { ["allowPrivilegeEscalation"] = false, ["privileged"] = true }));
        AssertCause(both, "spec.containers[0].securityContext", "FieldValueInvalid", null);
        Assert.EndsWith(": cannot set `allowPrivilegeEscalation` to false and `privileged` to true", Cause(both, "spec.containers[0].securityContext"), StringComparison.Ordinal);
        await AssertRefusedAsync(Pod(s => First(s)["securityContext"] = new JsonObject { ["procMount"] = "Unmasked" }),
            "spec.containers[0].securityContext.procMount", "FieldValueInvalid", "Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`");
        await AssertAcceptedAsync(Pod(s => First(s)["securityContext"] = new JsonObject
        {
            ["allowPrivilegeEscalation"] = false,
            ["privileged"] = false,
            ["readOnlyRootFilesystem"] = true,
            ["runAsNonRoot"] = true,
            ["runAsUser"] = 65533,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
        }));
    }

    // ---- containers ----

    [Fact]
    public async Task validateContainers_at_least_one_container()
    {
        await AssertRefusedAsync(Pod(s => s["containers"] = new JsonArray()), "spec.containers", "FieldValueRequired", "Required value");
    }

    [Fact]
    public async Task validateContainerCommon_name_is_a_DNS_label()
    {
        await AssertRefusedAsync(Pod(s => First(s)["name"] = "Main_1"),
            "spec.containers[0].name", "FieldValueInvalid", "Invalid value: \"Main_1\": " + Dns1123LabelMessage);
        await AssertRefusedAsync(Pod(s => First(s)["name"] = "main.one"),
            "spec.containers[0].name", "FieldValueInvalid", "Invalid value: \"main.one\": must not contain dots");
        await AssertRefusedAsync(Pod(s => First(s).Remove("name")), "spec.containers[0].name", "FieldValueRequired", "Required value");
        await AssertAcceptedAsync(Pod(s => First(s)["name"] = "main-1"));
    }

    [Fact]
    public async Task validateContainers_names_are_unique()
    {
        await AssertRefusedAsync(Pod(s => ((JsonArray)s["containers"]!).Add(new JsonObject { ["name"] = "main", ["image"] = "busybox" })),
            "spec.containers[1].name", "FieldValueDuplicate", "Duplicate value: \"main\"");
    }

    [Fact]
    public async Task validateInitContainers_names_are_unique_across_all_containers()
    {
        await AssertRefusedAsync(Pod(s => s["initContainers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox" })),
            "spec.initContainers[0].name", "FieldValueDuplicate", "Duplicate value: \"main\"");
        await AssertAcceptedAsync(Pod(s => s["initContainers"] = new JsonArray(new JsonObject { ["name"] = "setup", ["image"] = "busybox" })));
    }

    [Fact]
    public async Task validateContainerCommon_image_is_required()
    {
        await AssertRefusedAsync(Pod(s => First(s).Remove("image")), "spec.containers[0].image", "FieldValueRequired", "Required value");
    }

    [Fact]
    public async Task validateContainerOnlyForPod_image_has_no_surrounding_white_space()
    {
        await AssertRefusedAsync(Pod(s => First(s)["image"] = "busybox "),
            "spec.containers[0].image", "FieldValueInvalid", "Invalid value: \"busybox \": must not have leading or trailing whitespace");
    }

    [Fact]
    public async Task validatePullPolicy_known_values_only()
    {
        await AssertRefusedAsync(Pod(s => First(s)["imagePullPolicy"] = "Sometimes"),
            "spec.containers[0].imagePullPolicy", "FieldValueNotSupported", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"");
    }

    [Fact]
    public async Task validateContainerPorts_numbers_names_and_protocols()
    {
        await AssertRefusedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 70000 })),
            "spec.containers[0].ports[0].containerPort", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive");
        await AssertRefusedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["name"] = "web" })),
            "spec.containers[0].ports[0].containerPort", "FieldValueRequired", "Required value");
        await AssertRefusedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["protocol"] = "HTTP" })),
            "spec.containers[0].ports[0].protocol", "FieldValueNotSupported", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
        await AssertRefusedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["name"] = "8080" })),
            "spec.containers[0].ports[0].name", "FieldValueInvalid", "Invalid value: \"8080\": must contain at least one letter (a-z)");
        await AssertRefusedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["name"] = "web" }, new JsonObject { ["containerPort"] = 81, ["name"] = "web" })),
            "spec.containers[0].ports[1].name", "FieldValueDuplicate", "Duplicate value: \"web\"");
        await AssertAcceptedAsync(Pod(s => First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["name"] = "web" })));
    }

    [Fact]
    public async Task AccumulateUniqueHostPorts_host_ports_are_unique_across_containers()
    {
        await AssertRefusedAsync(Pod(s =>
        {
            First(s)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["hostPort"] = 8080 });
            ((JsonArray)s["containers"]!).Add(new JsonObject { ["name"] = "side", ["image"] = "busybox", ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 81, ["hostPort"] = 8080 }) });
        }), "spec.containers[1].ports[0].hostPort", "FieldValueDuplicate", "Duplicate value: \"TCP//8080\"");
    }

    [Fact]
    public async Task ValidateEnv_names_follow_IsEnvVarName()
    {
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "1VAR", ["value"] = "x" })),
            "spec.containers[0].env[0].name", "FieldValueInvalid",
            "Invalid value: \"1VAR\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "..x" })),
            "spec.containers[0].env[0].name", "FieldValueInvalid", "Invalid value: \"..x\": must not start with '..'");
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["value"] = "x" })),
            "spec.containers[0].env[0].name", "FieldValueRequired", "Required value");
        await AssertAcceptedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "MY_ENV.name-1", ["value"] = "x" })));
    }

    [Fact]
    public async Task validateEnvVarValueFrom_exactly_one_source_and_no_value()
    {
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["valueFrom"] = new JsonObject() })),
            "spec.containers[0].env[0].valueFrom", "FieldValueInvalid",
            "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        var fieldRef = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = "metadata.name" } };
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["value"] = "x", ["valueFrom"] = fieldRef.DeepClone() })),
            "spec.containers[0].env[0].valueFrom", "FieldValueInvalid", "Invalid value: \"\": may not be specified when `value` is not empty");
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = "metadata.labels" } } })),
            "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", "FieldValueNotSupported",
            "Unsupported value: \"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"");
        await AssertRefusedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = "s" } } })),
            "spec.containers[0].env[0].valueFrom.secretKeyRef.key", "FieldValueRequired", "Required value");
        await AssertAcceptedAsync(Pod(s => First(s)["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["valueFrom"] = fieldRef.DeepClone() })));
    }

    [Fact]
    public async Task ValidateEnvFrom_one_named_source()
    {
        await AssertRefusedAsync(Pod(s => First(s)["envFrom"] = new JsonArray(new JsonObject { ["prefix"] = "P_" })),
            "spec.containers[0].envFrom", "FieldValueInvalid", "Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`");
        await AssertRefusedAsync(Pod(s => First(s)["envFrom"] = new JsonArray(new JsonObject { ["configMapRef"] = new JsonObject() })),
            "spec.containers[0].envFrom[0].configMapRef.name", "FieldValueRequired", "Required value");
        await AssertAcceptedAsync(Pod(s => First(s)["envFrom"] = new JsonArray(new JsonObject { ["prefix"] = "P_", ["configMapRef"] = new JsonObject { ["name"] = "settings" } })));
    }

    [Fact]
    public async Task validateResourceRequirements_requests_at_most_limits()
    {
        await AssertRefusedAsync(Pod(s => First(s)["resources"] = new JsonObject
        {
            ["limits"] = new JsonObject { ["cpu"] = "1" },
            ["requests"] = new JsonObject { ["cpu"] = "1500m" },
        }), "spec.containers[0].resources.requests", "FieldValueInvalid", "Invalid value: \"1500m\": must be less than or equal to cpu limit of 1");
        await AssertAcceptedAsync(Pod(s => First(s)["resources"] = new JsonObject
        {
            ["limits"] = new JsonObject { ["cpu"] = "1", ["memory"] = "256Mi" },
            ["requests"] = new JsonObject { ["cpu"] = "1000m", ["memory"] = "128Mi" },
        }));
    }

    [Fact]
    public async Task ValidateResourceQuantityValue_not_negative()
    {
        // A request, not a limit: SetDefaults_Pod copies a limit without a request into requests, and both would be refused.
        await AssertRefusedAsync(Pod(s => First(s)["resources"] = new JsonObject { ["requests"] = new JsonObject { ["memory"] = "-1Mi" } }),
            "spec.containers[0].resources.requests[memory]", "FieldValueInvalid", "Invalid value: \"-1Mi\": must be greater than or equal to 0");
    }

    [Fact]
    public async Task validateContainerResourceName_standard_or_extended_names()
    {
        var gpu = await CreateAsync(Pod(s => First(s)["resources"] = new JsonObject { ["limits"] = new JsonObject { ["gpu"] = "1" } }));
        AssertCause(gpu, "spec.containers[0].resources.limits[gpu]", "FieldValueInvalid", "Invalid value: gpu: must be a standard resource type or fully qualified");
        AssertCause(gpu, "spec.containers[0].resources.limits[gpu]", "FieldValueInvalid", "Invalid value: gpu: must be a standard resource for containers");
        await AssertRefusedAsync(Pod(s => First(s)["resources"] = new JsonObject { ["requests"] = new JsonObject { ["pods"] = "1" } }),
            "spec.containers[0].resources.requests[pods]", "FieldValueInvalid", "Invalid value: pods: must be a standard resource for containers");
        await AssertRefusedAsync(Pod(s => First(s)["resources"] = new JsonObject { ["requests"] = new JsonObject { ["example.com/gpu"] = "1" } }),
            "spec.containers[0].resources.limits", "FieldValueRequired", "Required value: Limit must be set for non overcommitable resources");
        await AssertAcceptedAsync(Pod(s => First(s)["resources"] = new JsonObject
        {
            ["limits"] = new JsonObject { ["example.com/gpu"] = "1", ["ephemeral-storage"] = "1Gi" },
            ["requests"] = new JsonObject { ["example.com/gpu"] = "1" },
        }));
    }

    [Fact]
    public async Task ParseQuantity_an_undecodable_quantity_is_a_bad_request()
    {
        var (code, body) = await CreateAsync(Pod(s => First(s)["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "lots" } }));
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("BadRequest", body["reason"]!.GetValue<string>());
        Assert.Equal("Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            body["message"]!.GetValue<string>());
        await AssertAcceptedAsync(Pod(s => First(s)["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = 2, ["memory"] = "1e9" } }));
    }

    // ---- native sidecars and probes ----

    private static JsonObject Sidecar(Action<JsonObject>? change = null)
    {
        var sidecar = new JsonObject { ["name"] = "collector", ["image"] = "busybox", ["restartPolicy"] = "Always" };
        change?.Invoke(sidecar);
        return sidecar;
    }

    private static JsonObject ExecProbe() => new() { ["exec"] = new JsonObject { ["command"] = new JsonArray("true") } };

    [Fact]
    public async Task validateInitContainerRestartPolicy_only_Always()
    {
        await AssertRefusedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c => c["restartPolicy"] = "OnFailure"))),
            "spec.initContainers[0].restartPolicy", "FieldValueNotSupported", "Unsupported value: \"OnFailure\": supported values: \"Always\"");
        await AssertAcceptedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar())));
    }

    [Fact]
    public async Task validateContainers_restartPolicy_only_on_init_containers()
    {
        await AssertRefusedAsync(Pod(s => First(s)["restartPolicy"] = "Always"),
            "spec.containers[0].restartPolicy", "FieldValueForbidden", "Forbidden: may not be set for non-init containers");
    }

    [Fact]
    public async Task validateInitContainers_probes_and_lifecycle_only_on_sidecars()
    {
        foreach (var field in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            await AssertRefusedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c => { c.Remove("restartPolicy"); c[field] = ExecProbe(); }))),
                $"spec.initContainers[0].{field}", "FieldValueForbidden", "Forbidden: may not be set for init containers without restartPolicy=Always");
        }

        await AssertRefusedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c =>
            {
                c.Remove("restartPolicy");
                c["lifecycle"] = new JsonObject { ["preStop"] = ExecProbe() };
            }))),
            "spec.initContainers[0].lifecycle", "FieldValueForbidden", "Forbidden: may not be set for init containers without restartPolicy=Always");
        await AssertAcceptedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c =>
        {
            c["startupProbe"] = ExecProbe();
            c["livenessProbe"] = ExecProbe();
            c["readinessProbe"] = ExecProbe();
            c["lifecycle"] = new JsonObject { ["preStop"] = ExecProbe() };
        }))));
    }

    [Fact]
    public async Task validateStartupProbe_successThreshold_must_be_1()
    {
        await AssertRefusedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c => { c["startupProbe"] = ExecProbe(); c["startupProbe"]!["successThreshold"] = 2; }))),
            "spec.initContainers[0].startupProbe.successThreshold", "FieldValueInvalid", "Invalid value: 2: must be 1");
        var created = await AssertAcceptedAsync(Pod(s => s["initContainers"] = new JsonArray(Sidecar(c => c["startupProbe"] = ExecProbe()))));
        Assert.Equal(1, created["spec"]!["initContainers"]![0]!["startupProbe"]!["successThreshold"]!.GetValue<int>());
    }

    [Fact]
    public async Task validateLivenessProbe_successThreshold_must_be_1()
    {
        await AssertRefusedAsync(Pod(s => { First(s)["livenessProbe"] = ExecProbe(); First(s)["livenessProbe"]!["successThreshold"] = 3; }),
            "spec.containers[0].livenessProbe.successThreshold", "FieldValueInvalid", "Invalid value: 3: must be 1");
    }

    [Fact]
    public async Task validateReadinessProbe_no_terminationGracePeriodSeconds()
    {
        await AssertRefusedAsync(Pod(s => { First(s)["readinessProbe"] = ExecProbe(); First(s)["readinessProbe"]!["terminationGracePeriodSeconds"] = 5; }),
            "spec.containers[0].readinessProbe.terminationGracePeriodSeconds", "FieldValueInvalid", "Invalid value: 5: must not be set for readinessProbes");
        await AssertAcceptedAsync(Pod(s => { First(s)["readinessProbe"] = ExecProbe(); First(s)["readinessProbe"]!["successThreshold"] = 3; }));
    }

    [Fact]
    public async Task validateHandler_exactly_one_handler()
    {
        await AssertRefusedAsync(Pod(s => { First(s)["livenessProbe"] = ExecProbe(); First(s)["livenessProbe"]!["tcpSocket"] = new JsonObject { ["port"] = 80 }; }),
            "spec.containers[0].livenessProbe.tcpSocket", "FieldValueForbidden", "Forbidden: may not specify more than 1 handler type");
        await AssertRefusedAsync(Pod(s => First(s)["livenessProbe"] = new JsonObject { ["periodSeconds"] = 5 }),
            "spec.containers[0].livenessProbe", "FieldValueRequired", "Required value: must specify a handler type");
        await AssertRefusedAsync(Pod(s => First(s)["livenessProbe"] = new JsonObject { ["exec"] = new JsonObject() }),
            "spec.containers[0].livenessProbe.exec.command", "FieldValueRequired", "Required value");
        await AssertRefusedAsync(Pod(s => First(s)["livenessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["port"] = "http_port" } }),
            "spec.containers[0].livenessProbe.httpGet.port", "FieldValueInvalid", "Invalid value: \"http_port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        await AssertAcceptedAsync(Pod(s => First(s)["livenessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["port"] = 8080 } }));
    }

    [Fact]
    public async Task validateProbe_timings_are_not_negative()
    {
        await AssertRefusedAsync(Pod(s => { First(s)["livenessProbe"] = ExecProbe(); First(s)["livenessProbe"]!["periodSeconds"] = -1; }),
            "spec.containers[0].livenessProbe.periodSeconds", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0");
    }

    [Fact]
    public async Task validateSleepAction_within_the_grace_period()
    {
        await AssertRefusedAsync(Pod(s =>
            {
                s["terminationGracePeriodSeconds"] = 5;
                First(s)["lifecycle"] = new JsonObject { ["preStop"] = new JsonObject { ["sleep"] = new JsonObject { ["seconds"] = 10 } } };
            }),
            "spec.containers[0].lifecycle.preStop.sleep", "FieldValueInvalid", "Invalid value: 10: must be non-negative and less than terminationGracePeriodSeconds (5)");
        await AssertAcceptedAsync(Pod(s => First(s)["lifecycle"] = new JsonObject { ["preStop"] = new JsonObject { ["sleep"] = new JsonObject { ["seconds"] = 3 } } }));
    }

    // ---- volumes and mounts ----

    private static JsonObject EmptyDir(string name) => new() { ["name"] = name, ["emptyDir"] = new JsonObject() };

    [Fact]
    public async Task ValidateVolumes_names_are_unique_DNS_labels()
    {
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(EmptyDir("Tmp"))),
            "spec.volumes[0].name", "FieldValueInvalid", "Invalid value: \"Tmp\": " + Dns1123LabelMessage);
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(EmptyDir("tmp"), EmptyDir("tmp"))),
            "spec.volumes[1].name", "FieldValueDuplicate", "Duplicate value: \"tmp\"");
        await AssertAcceptedAsync(Pod(s => s["volumes"] = new JsonArray(EmptyDir("tmp"), EmptyDir("out"))));
    }

    [Fact]
    public async Task validateVolumeSource_exactly_one_source()
    {
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "v" })),
            "spec.volumes[0]", "FieldValueRequired", "Required value: must specify a volume type");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "v", ["emptyDir"] = new JsonObject(), ["configMap"] = new JsonObject { ["name"] = "c" } })),
            "spec.volumes[0].configMap", "FieldValueForbidden", "Forbidden: may not specify more than 1 volume type");
    }

    [Fact]
    public async Task validateVolumeSource_emptyDir_sizeLimit_not_negative()
    {
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["emptyDir"] = new JsonObject { ["medium"] = "Memory", ["sizeLimit"] = "-1Mi" } })),
            "spec.volumes[0].emptyDir.sizeLimit", "FieldValueForbidden", "Forbidden: SizeLimit field must be a valid resource quantity");
        await AssertAcceptedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["emptyDir"] = new JsonObject { ["medium"] = "Memory", ["sizeLimit"] = "64Mi" } })));
    }

    [Fact]
    public async Task validateConfigMapVolumeSource_name_and_defaultMode()
    {
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["configMap"] = new JsonObject() })),
            "spec.volumes[0].configMap.name", "FieldValueRequired", "Required value");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["configMap"] = new JsonObject { ["name"] = "c", ["defaultMode"] = 512 } })),
            "spec.volumes[0].configMap.defaultMode", "FieldValueInvalid", "Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive");
        await AssertAcceptedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["configMap"] = new JsonObject { ["name"] = "c", ["defaultMode"] = 292 } })));
    }

    [Fact]
    public async Task validateSecretVolumeSource_secretName_required()
    {
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["secret"] = new JsonObject { ["defaultMode"] = 292 } })),
            "spec.volumes[0].secret.secretName", "FieldValueRequired", "Required value");
        await AssertAcceptedAsync(Pod(s => s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["secret"] = new JsonObject { ["secretName"] = "s", ["defaultMode"] = 292 } })));
    }

    [Fact]
    public async Task validateKeyToPath_key_and_relative_path()
    {
        static JsonObject Items(JsonObject item) => new() { ["name"] = "code", ["configMap"] = new JsonObject { ["name"] = "c", ["items"] = new JsonArray(item) } };
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["path"] = "main.py" }))),
            "spec.volumes[0].configMap.items[0].key", "FieldValueRequired", "Required value");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["key"] = "code", ["path"] = "/etc/main.py" }))),
            "spec.volumes[0].configMap.items[0].path", "FieldValueInvalid", "Invalid value: \"/etc/main.py\": must be a relative path");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["key"] = "code", ["path"] = "a/../../main.py" }))),
            "spec.volumes[0].configMap.items[0].path", "FieldValueInvalid", "Invalid value: \"a/../../main.py\": must not contain '..'");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["key"] = "code", ["path"] = "..main.py" }))),
            "spec.volumes[0].configMap.items[0].path", "FieldValueInvalid", "Invalid value: \"..main.py\": must not start with '..'");
        await AssertRefusedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["key"] = "code", ["path"] = "main.py", ["mode"] = -1 }))),
            "spec.volumes[0].configMap.items[0].mode", "FieldValueInvalid", "Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive");
        await AssertAcceptedAsync(Pod(s => s["volumes"] = new JsonArray(Items(new JsonObject { ["key"] = "file.data.csv", ["path"] = "data/data.csv" }))));
    }

    [Fact]
    public async Task ValidateVolumeMounts_names_paths_and_subPaths()
    {
        await AssertRefusedAsync(Pod(s => First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/tmp" })),
            "spec.containers[0].volumeMounts[0].name", "FieldValueNotFound", "Not found: \"tmp\"");
        await AssertRefusedAsync(Pod(s =>
            {
                s["volumes"] = new JsonArray(EmptyDir("tmp"));
                First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp" });
            }),
            "spec.containers[0].volumeMounts[0].mountPath", "FieldValueRequired", "Required value");
        await AssertRefusedAsync(Pod(s =>
            {
                s["volumes"] = new JsonArray(EmptyDir("tmp"), EmptyDir("out"));
                First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/data" }, new JsonObject { ["name"] = "out", ["mountPath"] = "/data" });
            }),
            "spec.containers[0].volumeMounts[1].mountPath", "FieldValueInvalid", "Invalid value: \"/data\": must be unique");
        await AssertRefusedAsync(Pod(s =>
            {
                s["volumes"] = new JsonArray(EmptyDir("tmp"));
                First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/data", ["subPath"] = "/abs" });
            }),
            "spec.containers[0].volumeMounts.subPath", "FieldValueInvalid", "Invalid value: \"/abs\": must be a relative path");
        await AssertAcceptedAsync(Pod(s =>
        {
            s["volumes"] = new JsonArray(EmptyDir("tmp"));
            First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/data", ["subPath"] = "sub/dir", ["readOnly"] = true });
            s["initContainers"] = new JsonArray(Sidecar(c => c["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "tmp", ["mountPath"] = "/data" })));
        }));
    }

    [Fact]
    public async Task ValidateVolumeMounts_a_mount_of_an_invalid_volume_is_not_found()
    {
        var result = await CreateAsync(Pod(s =>
        {
            s["volumes"] = new JsonArray(new JsonObject { ["name"] = "code", ["configMap"] = new JsonObject() });
            First(s)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "code", ["mountPath"] = "/code" });
        }));
        AssertCause(result, "spec.volumes[0].configMap.name", "FieldValueRequired", "Required value");
        AssertCause(result, "spec.containers[0].volumeMounts[0].name", "FieldValueNotFound", "Not found: \"code\"");
        Assert.Equal("Pod \"p\" is invalid: [spec.volumes[0].configMap.name: Required value, spec.containers[0].volumeMounts[0].name: Not found: \"code\"]",
            result.Body["message"]!.GetValue<string>());
    }

    // ---- ValidatePodUpdate ----

    private async Task<JsonObject> CreatedAsync(JsonObject pod)
    {
        var (code, body) = await CreateAsync(pod);
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    [Fact]
    public async Task ValidatePodUpdate_spec_is_immutable_except_the_updatable_fields()
    {
        var pod = await CreatedAsync(Pod(s => s["activeDeadlineSeconds"] = 60));
        var changed = (JsonObject)pod.DeepClone();
        First((JsonObject)changed["spec"]!)["args"] = new JsonArray("changed");
        var refused = await ReplaceAsync(changed);
        AssertCause(refused, "spec", "FieldValueForbidden", null);
        Assert.StartsWith("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n",
            Cause(refused, "spec"), StringComparison.Ordinal);

        var allowed = (JsonObject)pod.DeepClone();
        First((JsonObject)allowed["spec"]!)["image"] = "busybox:1.37";
        allowed["spec"]!["activeDeadlineSeconds"] = 30;
        allowed["spec"]!["tolerations"] = new JsonArray(new JsonObject { ["key"] = "k", ["operator"] = "Exists" });
        var (code, body) = await ReplaceAsync(allowed);
        Assert.True(code == HttpStatusCode.OK, body.ToJsonString());
    }

    [Fact]
    public async Task ValidatePodUpdate_activeDeadlineSeconds_may_only_shrink()
    {
        var pod = await CreatedAsync(Pod(s => s["activeDeadlineSeconds"] = 60));
        var longer = (JsonObject)pod.DeepClone();
        longer["spec"]!["activeDeadlineSeconds"] = 120;
        AssertOnlyCause(await ReplaceAsync(longer), pod, "spec.activeDeadlineSeconds", "FieldValueInvalid", "Invalid value: 120: must be less than or equal to previous value");
        var removed = (JsonObject)pod.DeepClone();
        ((JsonObject)removed["spec"]!).Remove("activeDeadlineSeconds");
        AssertOnlyCause(await ReplaceAsync(removed), pod, "spec.activeDeadlineSeconds", "FieldValueInvalid", "Invalid value: null: must not update from a positive integer to nil value");
    }

    [Fact]
    public async Task validateOnlyAddedTolerations_existing_tolerations_stay()
    {
        var pod = await CreatedAsync(Pod(s => s["tolerations"] = new JsonArray(new JsonObject { ["key"] = "k", ["operator"] = "Exists" })));
        var changed = (JsonObject)pod.DeepClone();
        changed["spec"]!["tolerations"] = new JsonArray(new JsonObject { ["key"] = "other", ["operator"] = "Exists" });
        AssertOnlyCause(await ReplaceAsync(changed), pod, "spec.tolerations", "FieldValueForbidden", "Forbidden: existing toleration can not be modified except its tolerationSeconds");
    }

    [Fact]
    public async Task ValidateContainerUpdates_containers_may_not_be_added_or_removed()
    {
        var pod = await CreatedAsync(Pod());
        var changed = (JsonObject)pod.DeepClone();
        ((JsonArray)changed["spec"]!["containers"]!).Add(new JsonObject { ["name"] = "side", ["image"] = "busybox" });
        AssertOnlyCause(await ReplaceAsync(changed), pod, "spec.containers", "FieldValueForbidden", "Forbidden: pod updates may not add or remove containers");
        var noImage = (JsonObject)pod.DeepClone();
        First((JsonObject)noImage["spec"]!).Remove("image");
        var refused = await ReplaceAsync(noImage);
        AssertCause(refused, "spec.containers[0].image", "FieldValueRequired", "Required value");
        Assert.Equal("Pod \"p\" is invalid: spec.containers[0].image: Required value", refused.Body["message"]!.GetValue<string>());
    }

    // ---- helpers ----

    /// <summary>A valid Pod (one container), changed by <paramref name="change"/> on its spec.</summary>
    private static JsonObject Pod(Action<JsonObject>? change = null, string name = "p")
    {
        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox:1.36" }),
        };
        change?.Invoke(spec);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    /// <summary>The first container of a spec.</summary>
    private static JsonObject First(JsonObject spec) => (JsonObject)spec["containers"]![0]!;

    private async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(HttpMethod method, string path, JsonObject body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, new Uri(Emulator.BaseUri, path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.StartsWith('{') ? (JsonObject)JsonNode.Parse(text)! : new JsonObject { ["text"] = text });
    }

    private Task<(HttpStatusCode Code, JsonObject Body)> CreateAsync(JsonObject pod) =>
        SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods", pod);

    private Task<(HttpStatusCode Code, JsonObject Body)> ReplaceAsync(JsonObject pod) =>
        SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/pods/" + pod["metadata"]!["name"]!.GetValue<string>(), pod);

    private async Task<JsonObject> AssertAcceptedAsync(JsonObject pod)
    {
        var (code, body) = await CreateAsync(pod);
        Assert.True(code == HttpStatusCode.Created, $"expected 201, got {(int)code}: {body.ToJsonString()}");
        await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/pods/" + pod["metadata"]!["name"]!.GetValue<string>(), new JsonObject());
        return body;
    }

    /// <summary>Creates the Pod, expects exactly this one cause, and checks the Status as kube-apiserver writes it.</summary>
    private async Task AssertRefusedAsync(JsonObject pod, string field, string reason, string message)
    {
        var result = await CreateAsync(pod);
        AssertOnlyCause(result, pod, field, reason, message);
    }

    private static void AssertOnlyCause((HttpStatusCode Code, JsonObject Body) result, JsonObject pod, string field, string reason, string message)
    {
        AssertCause(result, field, reason, message);
        var causes = result.Body["details"]!["causes"]!.AsArray();
        Assert.True(causes.Count == 1, "expected one cause, got " + causes.ToJsonString());
        var name = pod["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal($"Pod \"{name}\" is invalid: {field}: {message}", result.Body["message"]!.GetValue<string>());
    }

    /// <summary>A 422 Invalid Status with a cause for <paramref name="field"/> (and this message when given).</summary>
    private static void AssertCause((HttpStatusCode Code, JsonObject Body) result, string field, string reason, string? message)
    {
        var (code, body) = result;
        Assert.True(code == HttpStatusCode.UnprocessableEntity, $"expected 422, got {(int)code}: {body.ToJsonString()}");
        Assert.Equal("Status", body["kind"]!.GetValue<string>());
        Assert.Equal("Failure", body["status"]!.GetValue<string>());
        Assert.Equal("Invalid", body["reason"]!.GetValue<string>());
        Assert.Equal(422, body["code"]!.GetValue<int>());
        Assert.Equal("Pod", body["details"]!["kind"]!.GetValue<string>());
        var causes = body["details"]!["causes"]!.AsArray().OfType<JsonObject>().ToList();
        var cause = causes.FirstOrDefault(c => c["field"]?.GetValue<string>() == field && (message is null || c["message"]?.GetValue<string>() == message));
        Assert.True(cause is not null, $"no cause {field}: {message} in {body.ToJsonString()}");
        Assert.Equal(reason, cause["reason"]!.GetValue<string>());
    }

    private static string Cause((HttpStatusCode Code, JsonObject Body) result, string field) =>
        result.Body["details"]!["causes"]!.AsArray().First(c => c!["field"]!.GetValue<string>() == field)!["message"]!.GetValue<string>();
}
