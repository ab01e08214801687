using System.Text.Json.Nodes;
using CodeExec.Testing.PodSecurity;
using Xunit;

namespace CodeExec.Testing.Tests.PodSecurity;

/// <summary>One test per Pod Security Standards check, named after upstream's check (policy/check_*.go).</summary>
public sealed class PodSecurityStandardsTests
{
    /// <summary>A pod that passes restricted: the base every test breaks in one place.</summary>
    private static JsonObject Pod(string? extraSpec = null, string? containerSecurity = null, string? metadata = null)
    {
        var container = JsonNode.Parse("""
            {"name":"c","image":"x","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}
            """)!.AsObject();
        if (containerSecurity is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(containerSecurity)!.AsObject())
            {
                container["securityContext"]![key] = value?.DeepClone();
            }
        }

        var spec = JsonNode.Parse("""{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}""")!.AsObject();
        spec["containers"] = new JsonArray(container);
        if (extraSpec is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(extraSpec)!.AsObject())
            {
                spec[key] = value?.DeepClone();
            }
        }

        return new JsonObject { ["metadata"] = metadata is null ? new JsonObject { ["name"] = "p" } : JsonNode.Parse(metadata), ["spec"] = spec };
    }

    private static PodSecurityViolation Single(JsonObject pod, PodSecurityLevel level, string version = "latest") =>
        Assert.Single(PodSecurityStandards.Check(pod, level, version));

    [Fact]
    public void The_base_pod_passes_restricted_and_privileged_allows_anything()
    {
        Assert.Empty(PodSecurityStandards.Check(Pod(), PodSecurityLevel.Restricted));
        Assert.Empty(PodSecurityStandards.Check(Pod("""{"hostPID":true}"""), PodSecurityLevel.Privileged));
    }

    [Fact]
    public void checkWindowsHostProcess_baseline()
    {
        var violation = Single(Pod("""{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"windowsOptions":{"hostProcess":true}}}""",
            """{"windowsOptions":{"hostProcess":true}}"""), PodSecurityLevel.Baseline);
        Assert.Equal("hostProcess (pod and container \"c\" must not set securityContext.windowsOptions.hostProcess=true)", violation.ToString());
    }

    [Fact]
    public void checkHostNamespaces_baseline()
    {
        var violation = Single(Pod("""{"hostNetwork":true,"hostPID":true,"hostIPC":true}"""), PodSecurityLevel.Baseline);
        Assert.Equal("host namespaces (hostIPC, hostNetwork, hostPID)", violation.ToString());
    }

    [Fact]
    public void checkPrivileged_baseline()
    {
        var violation = Single(Pod(containerSecurity: """{"privileged":true}"""), PodSecurityLevel.Baseline);
        Assert.Equal("privileged (container \"c\" must not set securityContext.privileged=true)", violation.ToString());
    }

    [Fact]
    public void checkCapabilitiesBaseline_baseline()
    {
        var violation = Single(Pod(containerSecurity: """{"capabilities":{"add":["CHOWN","NET_RAW","SYS_ADMIN"]}}"""), PodSecurityLevel.Baseline);
        Assert.Equal("non-default capabilities (container \"c\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add)", violation.ToString());
    }

    [Fact]
    public void checkHostPathVolumes_baseline()
    {
        var violation = Single(Pod("""{"volumes":[{"name":"host","hostPath":{"path":"/"}},{"name":"tmp","emptyDir":{}}]}"""), PodSecurityLevel.Baseline);
        Assert.Equal("hostPath volumes (volume \"host\")", violation.ToString());
    }

    [Fact]
    public void checkHostPorts_baseline()
    {
        var pod = Pod();
        pod["spec"]!["containers"]![0]!["ports"] = JsonNode.Parse("""[{"containerPort":80,"hostPort":8080},{"containerPort":81}]""");
        Assert.Equal("hostPort (container \"c\" uses hostPort 8080)", Single(pod, PodSecurityLevel.Baseline).ToString());
    }

    [Fact]
    public void checkAppArmorProfile_baseline()
    {
        var pod = Pod("""{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"appArmorProfile":{"type":"Unconfined"}}}""",
            metadata: """{"name":"p","annotations":{"container.apparmor.security.beta.kubernetes.io/c":"unconfined"}}""");
        Assert.Equal(
            "forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\")",
            Single(pod, PodSecurityLevel.Baseline).ToString());
        Assert.Empty(PodSecurityStandards.Check(Pod(containerSecurity: """{"appArmorProfile":{"type":"RuntimeDefault"}}"""), PodSecurityLevel.Baseline));
    }

    [Fact]
    public void checkSELinuxOptions_baseline()
    {
        var violation = Single(Pod(containerSecurity: """{"seLinuxOptions":{"type":"spc_t","user":"root"}}"""), PodSecurityLevel.Baseline);
        Assert.Equal("seLinuxOptions (container \"c\" set forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set)", violation.ToString());
        Assert.Empty(PodSecurityStandards.Check(Pod(containerSecurity: """{"seLinuxOptions":{"type":"container_engine_t"}}"""), PodSecurityLevel.Baseline));
        Assert.Single(PodSecurityStandards.Check(Pod(containerSecurity: """{"seLinuxOptions":{"type":"container_engine_t"}}"""), PodSecurityLevel.Baseline, "v1.30"));
    }

    [Fact]
    public void checkProcMount_baseline()
    {
        var violation = Single(Pod(containerSecurity: """{"procMount":"Unmasked"}"""), PodSecurityLevel.Baseline);
        Assert.Equal("procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")", violation.ToString());
        Assert.Empty(PodSecurityStandards.Check(Pod("""{"hostUsers":false}""", """{"procMount":"Unmasked"}"""), PodSecurityLevel.Baseline));
    }

    [Fact]
    public void checkSeccompBaseline_baseline()
    {
        var violation = Single(Pod(containerSecurity: """{"seccompProfile":{"type":"Unconfined"}}"""), PodSecurityLevel.Baseline);
        Assert.Equal("seccompProfile (container \"c\" must not set securityContext.seccompProfile.type to \"Unconfined\")", violation.ToString());
    }

    [Fact]
    public void checkSysctls_baseline()
    {
        var pod = Pod("""{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"sysctls":[{"name":"net.ipv4.tcp_rmem","value":"1"},{"name":"kernel.msgmax","value":"1"}]}}""");
        Assert.Equal("forbidden sysctls (kernel.msgmax)", Single(pod, PodSecurityLevel.Baseline).ToString());
        Assert.Equal("forbidden sysctls (net.ipv4.tcp_rmem, kernel.msgmax)", Single(pod, PodSecurityLevel.Baseline, "v1.31").ToString());
    }

    [Fact]
    public void checkHostProbesAndHostLifecycle_baseline()
    {
        var pod = Pod();
        pod["spec"]!["containers"]![0]!["livenessProbe"] = JsonNode.Parse("""{"httpGet":{"host":"10.0.0.1","port":80}}""");
        Assert.Equal("probe or lifecycle host (container \"c\" uses probe or lifecycle host \"10.0.0.1\")", Single(pod, PodSecurityLevel.Baseline).ToString());
        Assert.Empty(PodSecurityStandards.Check(pod, PodSecurityLevel.Baseline, "v1.33"));
    }

    [Fact]
    public void checkBaselineVolumes_baseline()
    {
        var violation = Single(Pod("""{"volumes":[{"name":"repo","gitRepo":{"repository":"x"}}]}"""), PodSecurityLevel.Baseline);
        Assert.Equal("restricted volume types (volume \"repo\" uses restricted volume type \"gitRepo\")", violation.ToString());
    }

    [Fact]
    public void checkRestrictedVolumes_restricted()
    {
        var violation = Single(Pod("""{"volumes":[{"name":"host","hostPath":{"path":"/"}},{"name":"share","nfs":{"server":"s","path":"/"}},{"name":"ok","configMap":{"name":"c"}}]}"""),
            PodSecurityLevel.Restricted);
        Assert.Equal("restricted volume types (volumes \"host\", \"share\" use restricted volume types \"hostPath\", \"nfs\")", violation.ToString());
    }

    [Fact]
    public void checkAllowPrivilegeEscalation_restricted()
    {
        var violation = Single(Pod(containerSecurity: """{"allowPrivilegeEscalation":true}"""), PodSecurityLevel.Restricted);
        Assert.Equal("allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false)", violation.ToString());
    }

    [Fact]
    public void checkRunAsNonRoot_restricted()
    {
        var unset = Pod("""{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}""");
        Assert.Equal("runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true)", Single(unset, PodSecurityLevel.Restricted).ToString());
        var explicitFalse = Pod(containerSecurity: """{"runAsNonRoot":false}""");
        Assert.Equal("runAsNonRoot != true (container \"c\" must not set securityContext.runAsNonRoot=false)", Single(explicitFalse, PodSecurityLevel.Restricted).ToString());
    }

    [Fact]
    public void checkRunAsUser_restricted()
    {
        var violation = Single(Pod(containerSecurity: """{"runAsUser":0}"""), PodSecurityLevel.Restricted);
        Assert.Equal("runAsUser=0 (container \"c\" must not set runAsUser=0)", violation.ToString());
    }

    [Fact]
    public void checkSeccompProfileRestricted_restricted()
    {
        var unset = Pod("""{"securityContext":{"runAsNonRoot":true}}""");
        Assert.Equal("seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            Single(unset, PodSecurityLevel.Restricted).ToString());
        var unconfined = Pod(containerSecurity: """{"seccompProfile":{"type":"Unconfined"}}""");
        Assert.Equal("seccompProfile (container \"c\" must not set securityContext.seccompProfile.type to \"Unconfined\")", Single(unconfined, PodSecurityLevel.Restricted).ToString());
    }

    [Fact]
    public void checkCapabilitiesRestricted_restricted()
    {
        var violation = Single(Pod(containerSecurity: """{"capabilities":{"drop":["NET_RAW"],"add":["NET_BIND_SERVICE","CHOWN"]}}"""), PodSecurityLevel.Restricted);
        Assert.Equal(
            "unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"c\" must not include \"CHOWN\" in securityContext.capabilities.add)",
            violation.ToString());
    }

    [Fact]
    public void Violations_come_in_upstream_order_baseline_checks_first()
    {
        var pod = Pod("""{"hostNetwork":true}""", """{"allowPrivilegeEscalation":true,"privileged":true}""");
        Assert.Equal(["hostNamespaces", "privileged", "allowPrivilegeEscalation"], PodSecurityStandards.Check(pod, PodSecurityLevel.Restricted).Select(v => v.CheckId));
    }
}
