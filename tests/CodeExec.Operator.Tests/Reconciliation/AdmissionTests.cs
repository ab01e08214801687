using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

public sealed class AdmissionTests
{
    private static readonly SandboxOptions Options = new();

    [Fact]
    public void A_ttl_over_the_cluster_maximum_is_rejected_naming_both()
    {
        var execution = TestObjects.Execution();
        execution.Spec.TtlSecondsAfterFinished = 86401;

        var result = Admission.Admit(execution, TestObjects.Runtime(), Options);

        Assert.Equal(["spec.ttlSecondsAfterFinished 86401 exceeds the cluster maximum 86400 (Sandbox:MaxTtlSecondsAfterFinished)"], result.Errors);
        execution.Spec.TtlSecondsAfterFinished = 86400;
        Assert.True(Admission.Admit(execution, TestObjects.Runtime(), Options).IsAdmitted);
    }

    private static CodeExecution Held(string name, int secondsAfter, bool deleting = false)
    {
        var execution = TestObjects.Execution(name);
        execution.Metadata.Uid = "uid-" + name;
        execution.Metadata.CreationTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(secondsAfter);
        execution.Metadata.DeletionTimestamp = deleting ? DateTime.UtcNow : null;
        return execution;
    }

    [Fact]
    public void The_namespace_count_cap_rejects_executions_created_after_the_maximum()
    {
        var options = new SandboxOptions { MaxExecutionsPerNamespace = 2 };
        CodeExecution[] held = [Held("a", 0), Held("b", 1), Held("c", 2), Held("gone", -5, deleting: true)];

        Assert.Null(Admission.CheckNamespaceCount(held[0], held, options));
        Assert.Null(Admission.CheckNamespaceCount(held[1], held, options));
        Assert.Equal("namespace team-a holds 3 CodeExecutions, at most 2 (Sandbox:MaxExecutionsPerNamespace): delete finished ones or wait for their ttlSecondsAfterFinished",
            Admission.CheckNamespaceCount(held[2], held, options));
        // Same creation second: the name decides, so the order is total and the same on every reconcile.
        var twin = Held("b0", 1);
        Assert.NotNull(Admission.CheckNamespaceCount(twin, [.. held, twin], options));
        Assert.Null(Admission.CheckNamespaceCount(held[2], held, new SandboxOptions { MaxExecutionsPerNamespace = 0 }));
    }

    [Fact]
    public void Spec_limits_win_over_runtime_defaults_which_win_over_built_in_defaults()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { Cpu = new ResourceQuantity("1500m"), TimeoutSeconds = 30 };

        var result = Admission.Admit(execution, TestObjects.Runtime(), Options);

        Assert.True(result.IsAdmitted, result.Message);
        var limits = result.Limits!;
        Assert.Equal("1500m", limits.Cpu.ToString());                      // spec
        Assert.Equal(30, limits.TimeoutSeconds);                           // spec
        Assert.Equal("128Mi", limits.Memory.ToString());                   // runtime default
        Assert.Equal(EffectiveLimits.BuiltInProcesses, limits.Processes);  // built-in
        Assert.Equal(EffectiveLimits.BuiltInTmpSize, limits.TmpSize.ToString());
        Assert.Equal(SandboxOptions.BuiltInDefaultOutputBytes, limits.OutputBytes);
        Assert.Equal("python", result.RuntimeName);
        Assert.Null(result.Message);
    }

    [Fact]
    public void Built_in_default_is_lowered_to_a_smaller_runtime_maximum()
    {
        var runtime = TestObjects.Runtime();
        runtime.Spec.MaxLimits!.TimeoutSeconds = 10;
        runtime.Spec.MaxLimits.Cpu = new ResourceQuantity("250m");

        var result = Admission.Admit(TestObjects.Execution(), runtime, Options);

        Assert.True(result.IsAdmitted, result.Message);
        Assert.Equal(10, result.Limits!.TimeoutSeconds);
        Assert.Equal("250m", result.Limits.Cpu.ToString());
    }

    [Fact]
    public void Unknown_runtime_is_rejected_by_name()
    {
        var result = Admission.Admit(TestObjects.Execution(runtime: "cobol"), runtime: null, Options);

        Assert.False(result.IsAdmitted);
        Assert.Equal("CodeRuntime \"cobol\" not found", Assert.Single(result.Errors));
        Assert.Null(result.Limits);
    }

    [Fact]
    public void Missing_default_runtime_says_so()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Runtime = null;

        var result = Admission.Admit(execution, runtime: null, Options);

        Assert.Contains(ApiConstants.DefaultRuntimeAnnotation, Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Quantities_are_compared_numerically_and_the_message_names_limit_value_runtime_and_maximum()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity("2Gi") };

        var result = Admission.Admit(execution, TestObjects.Runtime(), Options);

        Assert.Equal("limits.memory 2Gi exceeds the runtime python maximum 1Gi", Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("1024Mi", true)]   // equal to 1Gi
    [InlineData("1025Mi", false)]
    [InlineData("1073741824", true)]
    [InlineData("1G", true)]       // 10^9 < 2^30
    [InlineData("1.5Gi", false)]
    public void Memory_at_most_the_maximum_is_admitted(string memory, bool admitted)
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { Memory = new ResourceQuantity(memory) };

        Assert.Equal(admitted, Admission.Admit(execution, TestObjects.Runtime(), Options).IsAdmitted);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits
        {
            Memory = new ResourceQuantity("2Gi"),
            Cpu = new ResourceQuantity("3"),
            TimeoutSeconds = 601,
            Processes = 257,
            TmpSize = new ResourceQuantity("1Gi"),
            OutputBytes = 200 * 1024,
        };
        execution.Spec.Files = [new InputFile { Name = "main.py", Content = "x" }];
        execution.Spec.Env = [new EnvVar { Name = "HOME", Value = "/" }];
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org"] };

        var errors = Admission.Admit(execution, TestObjects.Runtime(), Options).Errors;

        Assert.Contains("limits.memory 2Gi exceeds the runtime python maximum 1Gi", errors);
        Assert.Contains("limits.cpu 3 exceeds the runtime python maximum 2", errors);
        Assert.Contains("limits.timeoutSeconds 601 exceeds the runtime python maximum 600", errors);
        Assert.Contains("limits.processes 257 exceeds the runtime python maximum 256", errors);
        Assert.Contains("limits.tmpSize 1Gi exceeds the runtime python maximum 256Mi", errors);
        Assert.Contains("limits.outputBytes 204800 exceeds the runtime python maximum 131072", errors);
        Assert.Contains("spec.files[0].name main.py is the code file name of the runtime: choose another name", errors);
        Assert.Contains("spec.env HOME is set by the operator and cannot be overridden", errors);
        Assert.Contains("spec.network.mode Egress is not allowed by the runtime python", errors);
        Assert.Equal(9, errors.Count);
    }

    [Fact]
    public void A_runtime_default_over_its_own_maximum_is_named_as_the_runtime_default()
    {
        var runtime = TestObjects.Runtime();
        runtime.Spec.DefaultLimits!.Memory = new ResourceQuantity("2Gi");

        var result = Admission.Admit(TestObjects.Execution(), runtime, Options);

        Assert.Equal("limits.memory 2Gi (the runtime default) exceeds the runtime python maximum 1Gi", Assert.Single(result.Errors));
    }

    [Fact]
    public void Output_bytes_over_the_cluster_maximum_is_rejected()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { OutputBytes = 100_000 };
        var runtime = TestObjects.Runtime();
        runtime.Spec.MaxLimits = null;

        var result = Admission.Admit(execution, runtime, new SandboxOptions { MaxOutputBytes = 65536 });

        Assert.Equal("limits.outputBytes 100000 exceeds the cluster maximum 65536", Assert.Single(result.Errors));
    }

    [Fact]
    public void Zero_or_negative_quantities_are_rejected()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { Cpu = new ResourceQuantity("0"), Memory = new ResourceQuantity("-1Mi") };

        var errors = Admission.Admit(execution, TestObjects.Runtime(), Options).Errors;

        Assert.Contains("limits.cpu must be greater than 0, not 0", errors);
        Assert.Contains(errors, e => e.StartsWith("limits.memory must be greater than 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_code_source_is_rejected()
    {
        var result = Admission.Admit(TestObjects.Execution(code: null), TestObjects.Runtime(), Options);

        Assert.Equal("no code: set spec.code or spec.codeFrom", Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("CODEEXEC_LIMIT")]
    [InlineData("codeexec_x")]
    [InlineData("TMPDIR")]
    [InlineData("https_proxy")]
    public void Reserved_env_names_are_rejected(string name)
    {
        var execution = TestObjects.Execution();
        execution.Spec.Env = [new EnvVar { Name = name, Value = "x" }, new EnvVar { Name = "FINE", Value = "y" }];

        Assert.Equal($"spec.env {name} is set by the operator and cannot be overridden",
            Assert.Single(Admission.Admit(execution, TestObjects.Runtime(), Options).Errors));
    }

    [Fact]
    public void Runtime_running_as_the_collector_uid_is_rejected()
    {
        var runtime = TestObjects.Runtime();
        runtime.Spec.RunAsUser = Options.CollectorUid;

        Assert.Contains("output collector's UID", Assert.Single(Admission.Admit(TestObjects.Execution(), runtime, Options).Errors), StringComparison.Ordinal);
    }

    private static (CodeExecution, CodeRuntime) EgressPair(params string[] hosts)
    {
        var execution = TestObjects.Execution();
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = hosts };
        var runtime = TestObjects.Runtime();
        runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["pypi.org", "files.pythonhosted.org", "metadata.example"] };
        return (execution, runtime);
    }

    [Fact]
    public void Egress_to_an_allowed_host_pins_its_sorted_addresses()
    {
        var (execution, runtime) = EgressPair("PyPI.org");
        Assert.Equal(["PyPI.org"], Admission.HostsToResolve(execution, runtime, Options));
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["PyPI.org"] = [IPAddress.Parse("151.101.64.223"), IPAddress.Parse("151.101.0.223"), IPAddress.Parse("::ffff:151.101.0.223")],
        };

        var result = Admission.Admit(execution, runtime, Options, resolved);

        Assert.True(result.IsAdmitted, result.Message);
        var pinned = Assert.Single(result.Egress);
        Assert.Equal("pypi.org", pinned.Host);
        Assert.Equal(["151.101.0.223", "151.101.64.223"], pinned.Addresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Egress_host_outside_the_runtime_allow_list_is_rejected_and_not_resolved()
    {
        var (execution, runtime) = EgressPair("evil.example");

        Assert.Empty(Admission.HostsToResolve(execution, runtime, Options));
        Assert.Equal("spec.network.allowedHosts evil.example is not in the allow-list of the runtime python",
            Assert.Single(Admission.Admit(execution, runtime, Options, new Dictionary<string, IReadOnlyList<IPAddress>>()).Errors));
    }

    [Theory]
    [InlineData("169.254.169.254", "cloud metadata (AWS, GCE, Azure, OpenStack)")]
    [InlineData("169.254.0.1", "link-local")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("0.0.0.0", "\"this network\"")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("::1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("fd00:ec2::254", "cloud metadata (AWS IMDS IPv6)")]
    [InlineData("168.63.129.16", "cloud metadata (Azure WireServer)")]
    public void A_host_resolving_to_a_never_allowed_address_is_rejected_whatever_the_runtime_allows(string address, string expectedClass)
    {
        var (execution, runtime) = EgressPair("metadata.example");
        runtime.Spec.Egress!.AllowedCIDRs = ["0.0.0.0/0", "::/0", "169.254.0.0/16", "fd00::/8"];
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["metadata.example"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse(address)],
        };

        var error = Assert.Single(Admission.Admit(execution, runtime, Options, resolved).Errors);

        Assert.StartsWith($"spec.network.allowedHosts metadata.example resolves to {address}, ", error, StringComparison.Ordinal);
        Assert.Contains(expectedClass, error, StringComparison.Ordinal);
        Assert.EndsWith("which a sandbox may never reach", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1", "private (RFC 1918)")]
    [InlineData("172.16.5.4", "private (RFC 1918)")]
    [InlineData("192.168.1.1", "private (RFC 1918)")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("64:ff9b::10.0.0.1", "private (RFC 1918), IPv4 10.0.0.1 embedded as NAT64 64:ff9b::/96")]
    public void A_host_resolving_to_a_private_address_is_rejected_naming_host_address_and_class(string address, string expectedClass)
    {
        var (execution, runtime) = EgressPair("pypi.org");
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>> { ["pypi.org"] = [IPAddress.Parse(address)] };

        var error = Assert.Single(Admission.Admit(execution, runtime, Options, resolved).Errors);

        Assert.Equal(
            $"spec.network.allowedHosts pypi.org resolves to {IPAddress.Parse(address)}, {EgressAddresses.Classify(IPAddress.Parse(address)).Describe()}, which is not public and not in the egress.allowedCIDRs of the runtime python",
            error);
        Assert.Contains(expectedClass, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.0/8")]
    [InlineData("fd12:3456::1", "fd12:3456::/32")]
    [InlineData("64:ff9b::10.1.2.3", "10.1.0.0/16")]
    [InlineData("10.96.0.10", "10.96.0.0/12")]
    public void The_runtime_allowed_cidrs_re_allow_a_private_range(string address, string cidr)
    {
        var (execution, runtime) = EgressPair("pypi.org");
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>> { ["pypi.org"] = [IPAddress.Parse(address)] };
        var options = new SandboxOptions { ClusterCIDRs = ["10.96.0.0/12"] };
        Assert.False(Admission.Admit(execution, runtime, options, resolved).IsAdmitted);

        runtime.Spec.Egress!.AllowedCIDRs = [cidr];
        var result = Admission.Admit(execution, runtime, options, resolved);

        Assert.True(result.IsAdmitted, result.Message);
        Assert.Equal(IPAddress.Parse(address), Assert.Single(Assert.Single(result.Egress).Addresses));
    }

    [Fact]
    public void A_configured_cluster_cidr_is_refused_even_when_public()
    {
        var (execution, runtime) = EgressPair("pypi.org");
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>> { ["pypi.org"] = [IPAddress.Parse("151.101.0.223")] };
        Assert.True(Admission.Admit(execution, runtime, Options, resolved).IsAdmitted);

        var error = Assert.Single(Admission.Admit(execution, runtime, new SandboxOptions { ClusterCIDRs = ["151.101.0.0/16"] }, resolved).Errors);

        Assert.Equal("spec.network.allowedHosts pypi.org resolves to 151.101.0.223, cluster network 151.101.0.0/16 (Sandbox:ClusterCIDRs), which is not public and not in the egress.allowedCIDRs of the runtime python", error);
    }

    [Fact]
    public void An_invalid_allowed_cidr_of_the_runtime_is_reported()
    {
        var (execution, runtime) = EgressPair("pypi.org");
        runtime.Spec.Egress!.AllowedCIDRs = ["10.0.0.1/8"];
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>> { ["pypi.org"] = [IPAddress.Parse("151.101.0.223")] };

        var error = Assert.Single(Admission.Admit(execution, runtime, Options, resolved).Errors);

        Assert.StartsWith("the runtime python has an invalid egress.allowedCIDRs entry: 10.0.0.1/8 is not a CIDR", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pypi", "a single-label name")]
    [InlineData("kubernetes", "a single-label name")]
    [InlineData("pypi.org.svc", "a cluster Service name (.svc)")]
    [InlineData("api.default.svc", "a cluster Service name (.svc)")]
    [InlineData("pypi.org.svc.cluster.local", "a name in the cluster domain cluster.local")]
    [InlineData("db.team-b.svc.cluster.local", "a name in the cluster domain cluster.local")]
    [InlineData("pod-1.cluster.local", "a name in the cluster domain cluster.local")]
    [InlineData("cluster.local", "a name in the cluster domain cluster.local")]
    public void Cluster_names_are_refused_without_being_resolved(string host, string reason)
    {
        var execution = TestObjects.Execution();
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = [host] };
        var runtime = TestObjects.Runtime();
        runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = [host] };

        Assert.Empty(Admission.HostsToResolve(execution, runtime, Options));
        var error = Assert.Single(Admission.Admit(execution, runtime, Options, new Dictionary<string, IReadOnlyList<IPAddress>> { [host] = [IPAddress.Parse("151.101.0.223")] }).Errors);

        Assert.StartsWith($"spec.network.allowedHosts {host} is {reason}", error, StringComparison.Ordinal);
        Assert.EndsWith(": egress goes only to public hosts", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pypi.org")]
    [InlineData("files.pythonhosted.org")]
    [InlineData("svc.example.com")]
    [InlineData("cluster.local.example.com")]
    public void Public_names_are_not_cluster_names(string host) =>
        Assert.Null(Admission.ClusterNameProblem(host, "cluster.local"));

    [Fact]
    public void A_custom_cluster_domain_is_refused()
    {
        Assert.Equal("a name in the cluster domain corp.internal (Sandbox:ClusterDomain)", Admission.ClusterNameProblem("db.corp.internal", "corp.internal"));
        Assert.Null(Admission.ClusterNameProblem("db.corp.internal", "cluster.local"));
    }

    [Fact]
    public void A_host_that_did_not_resolve_is_rejected()
    {
        var (execution, runtime) = EgressPair("pypi.org");

        Assert.Equal("spec.network.allowedHosts pypi.org did not resolve to any address",
            Assert.Single(Admission.Admit(execution, runtime, Options).Errors));
    }

    [Fact]
    public void Admission_before_resolving_makes_every_check_but_the_lookups_with_the_same_messages()
    {
        var (execution, runtime) = EgressPair("pypi.org", "evil.example");
        execution.Spec.Env = [new EnvVar { Name = "HOME", Value = "/x" }];
        execution.Spec.Limits = new ExecutionLimits { Cpu = new ResourceQuantity("64") };

        var before = Admission.AdmitBeforeResolving(execution, runtime, Options);
        var full = Admission.Admit(execution, runtime, Options, new Dictionary<string, IReadOnlyList<IPAddress>>());

        Assert.False(before.IsAdmitted);
        // The full admission adds only what the lookups find (pypi.org did not resolve); every other message is the same.
        Assert.Equal(full.Errors.Where(e => !e.Contains("did not resolve", StringComparison.Ordinal)), before.Errors);
        Assert.Contains("spec.network.allowedHosts pypi.org did not resolve to any address", full.Errors);
    }

    [Fact]
    public void Admission_before_resolving_admits_with_the_limits_and_the_hosts_unpinned()
    {
        var (execution, runtime) = EgressPair("PyPI.org");

        var before = Admission.AdmitBeforeResolving(execution, runtime, Options);

        Assert.True(before.IsAdmitted, before.Message);
        Assert.Equal(Admission.Admit(execution, runtime, Options, new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["PyPI.org"] = [IPAddress.Parse("151.101.0.223")],
        }).Limits, before.Limits);
        var host = Assert.Single(before.Egress);
        Assert.Equal("pypi.org", host.Host);
        Assert.Empty(host.Addresses);
    }
}
