using CodeExec.Operator.Sandbox;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class SandboxOptionsTests
{
    [Fact]
    public void Defaults_are_valid_production_values()
    {
        var options = new SandboxOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(65536, options.DefaultOutputBytes);
        Assert.Equal(262144, options.MaxOutputBytes);
        Assert.Equal("gvisor", options.DefaultRuntimeClassName);
        Assert.Equal(["/app/codeexec-operator", "collect"], options.EffectiveCollectorCommand);
    }

    [Fact]
    public void Each_bad_value_is_named()
    {
        var options = new SandboxOptions
        {
            CollectorUid = 0,
            CollectorMemory = "much",
            MaxOutputBytes = 1_000_000,
            StartDeadline = TimeSpan.Zero,
            TerminationGracePeriodSeconds = 0,
            EgressProxy = new EgressProxyOptions { Image = "proxy" },
        };

        var errors = options.Validate();

        Assert.Contains("Sandbox:CollectorUid must be a non-zero UID", errors);
        Assert.Contains("Sandbox:CollectorMemory 'much' is not a Kubernetes quantity", errors);
        Assert.Contains("Sandbox:MaxOutputBytes must be between 1024 and 262144", errors);
        Assert.Contains("Sandbox:StartDeadline must be positive", errors);
        Assert.Contains(errors, e => e.StartsWith("Sandbox:TerminationGracePeriodSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Sandbox:EgressProxy", StringComparison.Ordinal));
        Assert.Equal(6, errors.Count);
    }

    [Theory]
    [InlineData("/var/lib/kubelet/seccomp/codeexec.json")]
    [InlineData("profiles/../../etc/passwd")]
    [InlineData("..")]
    public void A_seccomp_profile_outside_the_kubelet_directory_is_refused(string profile)
    {
        var error = Assert.Single(new SandboxOptions { SeccompLocalhostProfile = profile }.Validate());

        Assert.StartsWith($"Sandbox:SeccompLocalhostProfile '{profile}' must be a relative path without '..'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("codeexec-operator:dev")]
    [InlineData("ifnotpresent")]
    [InlineData("")]
    public void A_collector_pull_policy_kube_apiserver_refuses_is_refused_at_start(string policy)
    {
        // validatePullPolicy (pkg/apis/core/validation) accepts Always, IfNotPresent and Never only, case-sensitively.
        var error = Assert.Single(new SandboxOptions { CollectorImagePullPolicy = policy }.Validate());

        Assert.Equal($"Sandbox:CollectorImagePullPolicy '{policy}' must be Always, IfNotPresent or Never", error);
        Assert.All(new[] { "Always", "IfNotPresent", "Never" }, p => Assert.Empty(new SandboxOptions { CollectorImagePullPolicy = p }.Validate()));
    }

    [Fact]
    public void Cluster_cidrs_must_parse()
    {
        Assert.Empty(new SandboxOptions { ClusterCIDRs = ["10.244.0.0/16", "10.96.0.0/12", "fd00:10:96::/112"] }.Validate());

        var error = Assert.Single(new SandboxOptions { ClusterCIDRs = ["10.96.0.1/12"] }.Validate());

        Assert.StartsWith("Sandbox:ClusterCIDRs: 10.96.0.1/12 is not a CIDR", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Hardening_settings_are_off_by_default_and_bind_from_configuration()
    {
        var defaults = new SandboxOptions();
        Assert.False(defaults.AppArmorRuntimeDefault);
        Assert.False(defaults.UserNamespaces);
        Assert.Null(defaults.SeccompLocalhostProfile);
        Assert.Equal("cluster.local", defaults.ClusterDomain);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:AppArmorRuntimeDefault"] = "true",
            ["Sandbox:UserNamespaces"] = "true",
            ["Sandbox:SeccompLocalhostProfile"] = "profiles/codeexec.json",
            ["Sandbox:ClusterCIDRs:0"] = "10.96.0.0/12",
            ["Sandbox:ClusterDomain"] = "corp.internal",
        }).Build();
        var options = new SandboxOptions();

        configuration.GetSection(SandboxOptions.SectionName).Bind(options);

        Assert.True(options.AppArmorRuntimeDefault);
        Assert.True(options.UserNamespaces);
        Assert.Equal("profiles/codeexec.json", options.SeccompLocalhostProfile);
        Assert.Equal(["10.96.0.0/12"], options.ClusterCIDRs);
        Assert.Equal("corp.internal", options.ClusterDomain);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Ttl_and_namespace_count_caps_are_checked()
    {
        Assert.Equal((86400, 500), (new SandboxOptions().MaxTtlSecondsAfterFinished, new SandboxOptions().MaxExecutionsPerNamespace));

        var errors = new SandboxOptions { MaxTtlSecondsAfterFinished = 3_000_000, MaxExecutionsPerNamespace = -1 }.Validate();
        Assert.Equal(
            ["Sandbox:MaxTtlSecondsAfterFinished must be between 0 and 2592000", "Sandbox:MaxExecutionsPerNamespace must be 0 (no limit) or more"],
            errors);

        Assert.Equal(["Sandbox:DefaultTtlSecondsAfterFinished must be between 0 and Sandbox:MaxTtlSecondsAfterFinished"],
            new SandboxOptions { DefaultTtlSecondsAfterFinished = 7200, MaxTtlSecondsAfterFinished = 3600 }.Validate());
        Assert.Empty(new SandboxOptions { MaxExecutionsPerNamespace = 0, MaxTtlSecondsAfterFinished = 2592000 }.Validate());
    }

    [Fact]
    public void Binding_from_configuration_replaces_the_collector_command()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:CollectorCommand:0"] = "dotnet",
            ["Sandbox:CollectorCommand:1"] = "/src/codeexec-operator.dll",
            ["Sandbox:CollectorCommand:2"] = "collect",
            ["Sandbox:StartDeadline"] = "00:00:30",
        }).Build();
        var options = new SandboxOptions();

        configuration.GetSection(SandboxOptions.SectionName).Bind(options);

        Assert.Equal(["dotnet", "/src/codeexec-operator.dll", "collect"], options.EffectiveCollectorCommand);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartDeadline);
    }
}
