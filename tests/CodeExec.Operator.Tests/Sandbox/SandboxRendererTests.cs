using System.Globalization;
using System.Net;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using CodeExec.Testing.Kubelet;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class SandboxRendererTests
{
    private static readonly SandboxOptions Options = new();

    private static V1Pod RenderPod(CodeExecution? execution = null, SandboxOptions? options = null) =>
        SandboxRenderer.Render(TestObjects.Request(execution, options: options), options ?? Options).Pod;

    private static V1Container Code(V1Pod pod) => Assert.Single(pod.Spec.Containers);

    private static V1Container Collector(V1Pod pod) => Assert.Single(pod.Spec.InitContainers);

    [Fact]
    public void Pod_spec_hardening_fields()
    {
        var pod = RenderPod();
        var spec = pod.Spec;

        Assert.Equal("gvisor", spec.RuntimeClassName);
        Assert.Equal("Never", spec.RestartPolicy);
        // A backstop only: the timeout (codeexec-init's, from the code's start) + the 5-minute start deadline + the grace period.
        Assert.Equal(EffectiveLimitsTimeout + 300 + 5, spec.ActiveDeadlineSeconds);
        Assert.False(spec.AutomountServiceAccountToken);
        Assert.False(spec.EnableServiceLinks);
        Assert.False(spec.HostNetwork);
        Assert.False(spec.HostPID);
        Assert.False(spec.HostIPC);
        Assert.False(spec.ShareProcessNamespace);
        Assert.Equal("None", spec.DnsPolicy);
        Assert.Equal(["127.0.0.1"], spec.DnsConfig.Nameservers);
        Assert.Null(spec.DnsConfig.Searches);
        Assert.Equal([("attempts", "1"), ("timeout", "1")], spec.DnsConfig.Options.Select(o => (o.Name, o.Value)));
        Assert.Null(spec.HostAliases);
        Assert.Null(spec.ServiceAccountName);
        Assert.Null(spec.PriorityClassName);
        Assert.Equal(5, spec.TerminationGracePeriodSeconds);
    }

    private const long EffectiveLimitsTimeout = CodeExec.Operator.Reconciliation.EffectiveLimits.BuiltInTimeoutSeconds;

    [Fact]
    public void Pod_security_context_is_non_root_with_the_runtime_ids_and_runtime_default_seccomp()
    {
        var runtime = TestObjects.Runtime();
        runtime.Spec.RunAsUser = 1234;
        runtime.Spec.RunAsGroup = 5678;
        var pod = SandboxRenderer.Pod(TestObjects.Request(runtime: runtime), Options);
        var security = pod.Spec.SecurityContext;

        Assert.True(security.RunAsNonRoot);
        Assert.Equal(1234, security.RunAsUser);
        Assert.Equal(5678, security.RunAsGroup);
        Assert.Equal(5678, security.FsGroup);
        Assert.Equal("RuntimeDefault", security.SeccompProfile.Type);
        Assert.Null(security.Sysctls);
        Assert.Null(security.SupplementalGroups);
    }

    [Fact]
    public void Hardening_settings_are_off_by_default()
    {
        var spec = RenderPod().Spec;

        Assert.Null(spec.HostUsers);
        Assert.Null(spec.SecurityContext.AppArmorProfile);
        Assert.All(spec.InitContainers.Concat(spec.Containers), c => Assert.Null(c.SecurityContext.AppArmorProfile));
        Assert.Null(spec.SecurityContext.SeccompProfile.LocalhostProfile);
    }

    [Fact]
    public void Hardening_settings_render_apparmor_user_namespace_and_a_localhost_seccomp_profile_everywhere()
    {
        var options = new SandboxOptions { AppArmorRuntimeDefault = true, UserNamespaces = true, SeccompLocalhostProfile = "profiles/codeexec.json" };
        var pod = SandboxRenderer.Pod(TestObjects.Request(), options);
        var spec = pod.Spec;

        Assert.False(spec.HostUsers);
        Assert.Equal("RuntimeDefault", spec.SecurityContext.AppArmorProfile.Type);
        Assert.Null(spec.SecurityContext.AppArmorProfile.LocalhostProfile);
        Assert.Equal(("Localhost", "profiles/codeexec.json"), (spec.SecurityContext.SeccompProfile.Type, spec.SecurityContext.SeccompProfile.LocalhostProfile));
        foreach (var container in spec.InitContainers.Concat(spec.Containers))
        {
            Assert.Equal(("Localhost", "profiles/codeexec.json"), (container.SecurityContext.SeccompProfile.Type, container.SecurityContext.SeccompProfile.LocalhostProfile));
        }
    }

    [Fact]
    public void Every_container_is_locked_down()
    {
        var pod = RenderPod();
        foreach (var container in pod.Spec.InitContainers.Concat(pod.Spec.Containers))
        {
            var security = container.SecurityContext;
            Assert.False(security.AllowPrivilegeEscalation);
            Assert.True(security.ReadOnlyRootFilesystem);
            Assert.False(security.Privileged);
            Assert.True(security.RunAsNonRoot);
            Assert.Equal(["ALL"], security.Capabilities.Drop);
            Assert.Null(security.Capabilities.Add);
            Assert.Equal("RuntimeDefault", security.SeccompProfile.Type);
            Assert.Equal(container.Resources.Limits.Keys.Order(), container.Resources.Requests.Keys.Order());
            foreach (var (resource, limit) in container.Resources.Limits)
            {
                Assert.Equal(limit.ToString(), container.Resources.Requests[resource].ToString());
            }
        }
    }

    [Fact]
    public void Code_container_runs_the_runtime_image_and_limits()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { Cpu = new ResourceQuantity("750m"), Memory = new ResourceQuantity("300Mi") };
        var code = Code(RenderPod(execution));

        Assert.Equal("code", code.Name);
        Assert.Equal("python@sha256:abc", code.Image);
        Assert.Equal("IfNotPresent", code.ImagePullPolicy);
        Assert.Equal("/code", code.WorkingDir);
        Assert.Equal("750m", code.Resources.Limits["cpu"].ToString());
        Assert.Equal("300Mi", code.Resources.Limits["memory"].ToString());
        Assert.Null(code.SecurityContext.RunAsUser); // the pod's runtime UID
        Assert.Null(code.Ports);
        Assert.Null(code.EnvFrom);
        Assert.Null(code.Args);
    }

    [Fact]
    public void Code_container_command_is_codeexec_init_with_fixed_options_then_interpreter_file_and_args_as_argv()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Args = ["--flag", "$(rm -rf /)", "'; echo pwned"];
        var command = Code(RenderPod(execution)).Command;

        var separator = command.IndexOf("--");
        Assert.Equal(
            ["/codeexec/bin/codeexec-init", "--stdin", "/dev/null", "--stdout", "/codeexec/out/stdout", "--stderr", "/codeexec/out/stderr",
                "--nproc", "64", "--fsize", "67108864", "--memory", "134217728", "--tmp", "/tmp", "--tmp-size", "67108864", "--timeout", EffectiveLimitsTimeout.ToString(CultureInfo.InvariantCulture), "--grace", "4"],
            command.Take(separator)); // fsize: 64Mi tmp over the 16Mi buffer; grace: one second under the kubelet's 5
        Assert.Equal(["python3", "-I", "/code/main.py", "--flag", "$$(rm -rf /)", "'; echo pwned"], command.Skip(separator + 1)); // $$: EscapeExpansion
        Assert.DoesNotContain(command, part => part is "/bin/sh" or "sh");
    }

    public static TheoryData<string> DollarTexts => ["$(HOME)", "$$(HOME)", "$", "a$b", "$(", "$$", "$$$(HOME)", "$(HOME", "x$", "$(a$$b)", "$($(HOME))", "no dollar"];

    [Theory]
    [MemberData(nameof(DollarTexts))]
    public void ExpandContainerCommandAndArgs_gives_back_user_args_and_env_values_exactly(string text)
    {
        // The simulated kubelet's port of upstream Expand (third_party/forked/golang/expansion), which
        // expandContainerCommandAndArgs applies to the command and args with the container's variables (HOME=/tmp here).
        var execution = TestObjects.Execution();
        execution.Spec.Args = [text, "plain"];
        execution.Spec.Env = [new EnvVar { Name = "USER_VALUE", Value = text }];
        var code = Code(RenderPod(execution));

        var env = ContainerCommand.Environment(code);
        var argv = ContainerCommand.Argv(code, env);

        var separator = argv.IndexOf("--");
        Assert.Equal(["python3", "-I", "/code/main.py", text, "plain"], argv.Skip(separator + 1));
        var envArgs = argv.Take(separator).Select((part, i) => (part, i)).Where(p => p.part == "--env").Select(p => argv[p.i + 1]);
        Assert.Equal(["USER_VALUE=" + text], envArgs);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("/tmp", "/tmp")]
    [InlineData("$(HOME)", "$$(HOME)")]
    [InlineData("a$b$", "a$$b$$")]
    public void EscapeExpansion_doubles_every_dollar(string value, string expected) => Assert.Equal(expected, SandboxRenderer.EscapeExpansion(value));

    [Fact]
    public void Init_reads_stdin_from_the_mounted_file_when_stdin_is_set()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Stdin = "42\n";
        var pod = RenderPod(execution);

        Assert.Equal(["--stdin", "/codeexec/in/stdin"], Code(pod).Command.Skip(1).Take(2));
        var stdin = Assert.Single(pod.Spec.Volumes, v => v.Name == "stdin");
        Assert.Equal("hello-0b6c3e9e-code", stdin.ConfigMap.Name);
        Assert.Equal(("stdin", "stdin"), (Assert.Single(stdin.ConfigMap.Items).Key, stdin.ConfigMap.Items[0].Path));
        var mount = Assert.Single(Code(pod).VolumeMounts, m => m.Name == "stdin");
        Assert.Equal("/codeexec/in", mount.MountPath);
        Assert.True(mount.ReadOnlyProperty);
    }

    [Fact]
    public void User_env_reaches_only_codeexec_init_arguments_and_the_container_env_is_the_operator_values()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Env = [new EnvVar { Name = "GREETING", Value = "hi" }, new EnvVar { Name = "EMPTY" }, new EnvVar { Name = "LD_PRELOAD", Value = "/tmp/x.so" }];
        // A runtime that allows startup hooks (admission refuses LD_PRELOAD otherwise): even then it is not in the container env.
        var runtime = TestObjects.Runtime();
        runtime.Spec.AllowStartupHookEnv = true;
        var request = TestObjects.Request(execution, runtime);
        // Admission refuses reserved names; the renderer drops them too, should one get past it.
        request.Execution.Spec.Env!.Add(new EnvVar { Name = "HOME", Value = "/etc" });
        request.Execution.Spec.Env.Add(new EnvVar { Name = "CODEEXEC_X", Value = "1" });

        var code = Code(SandboxRenderer.Pod(request, Options));

        // Finding 12: nothing of the tenant's is in the environment codeexec-init starts with; it sets these in the
        // program's environment after the rlimits.
        Assert.Equal([("HOME", "/tmp"), ("TMPDIR", "/tmp")], code.Env.Select(e => (e.Name, e.Value)));
        var separator = code.Command.IndexOf("--");
        var envArgs = code.Command.Take(separator).Select((part, i) => (part, i)).Where(p => p.part == "--env").Select(p => code.Command[p.i + 1]);
        Assert.Equal(["GREETING=hi", "EMPTY=", "LD_PRELOAD=/tmp/x.so"], envArgs);
    }

    [Fact]
    public void Volumes_code_read_only_tmp_and_output_in_memory_with_size_limits()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Files = [new InputFile { Name = "data.csv", Content = "a,b" }];
        execution.Spec.Limits = new ExecutionLimits { TmpSize = new ResourceQuantity("32Mi") };
        var pod = RenderPod(execution);

        Assert.Equal(["code", "tmp", "output", "init"], pod.Spec.Volumes.Select(v => v.Name));
        var code = pod.Spec.Volumes[0].ConfigMap;
        Assert.Equal("hello-0b6c3e9e-code", code.Name);
        Assert.Equal(292, code.DefaultMode);
        Assert.Equal([("code", "main.py"), ("file.data.csv", "data.csv")], code.Items.Select(i => (i.Key, i.Path)));
        Assert.Equal(("Memory", "32Mi"), (pod.Spec.Volumes[1].EmptyDir.Medium, pod.Spec.Volumes[1].EmptyDir.SizeLimit.ToString()));
        Assert.Equal(("Memory", "16Mi"), (pod.Spec.Volumes[2].EmptyDir.Medium, pod.Spec.Volumes[2].EmptyDir.SizeLimit.ToString()));
        Assert.Equal(("Memory", "8Mi"), (pod.Spec.Volumes[3].EmptyDir.Medium, pod.Spec.Volumes[3].EmptyDir.SizeLimit.ToString()));
        Assert.All(pod.Spec.Volumes, v => Assert.Null(v.HostPath));

        Assert.Equal(
            [("code", "/code", true), ("tmp", "/tmp", false), ("output", "/codeexec/out", false), ("init", "/codeexec/bin", true)],
            Code(pod).VolumeMounts.Select(m => (m.Name, m.MountPath, m.ReadOnlyProperty ?? false)));
    }

    [Fact]
    public void Collector_is_a_native_sidecar_as_another_user_mounting_the_output_folder()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Limits = new ExecutionLimits { OutputBytes = 2048 };
        var options = new SandboxOptions { CollectorImage = "op:1", CollectorCommand = ["dotnet", "/src/codeexec-operator.dll", "collect"] };
        var pod = RenderPod(execution, options);
        var collector = Collector(pod);

        Assert.Equal("collector", collector.Name);
        Assert.Equal("Always", collector.RestartPolicy);
        Assert.Equal("op:1", collector.Image);
        Assert.Equal(["dotnet", "/src/codeexec-operator.dll", "collect"], collector.Command);
        Assert.Equal(["--dir", "/codeexec/out", "--limit-bytes", "2048", "--install-init", "/codeexec/bin/codeexec-init"], collector.Args);
        Assert.Equal(65533, collector.SecurityContext.RunAsUser);
        Assert.NotEqual(pod.Spec.SecurityContext.RunAsUser, collector.SecurityContext.RunAsUser);
        // Output: writable for the ready marker only. Init: the collector copies codeexec-init there; the code mounts it read-only.
        Assert.Equal(
            [("output", "/codeexec/out", false), ("init", "/codeexec/bin", false)],
            collector.VolumeMounts.Select(m => (m.Name, m.MountPath, m.ReadOnlyProperty ?? false)));
        Assert.Equal("100m", collector.Resources.Limits["cpu"].ToString());

        // The code starts only once the collector can be stopped safely (its SIGTERM handler is in place).
        Assert.Equal(["dotnet", "/src/codeexec-operator.dll", "collect", "--ready", "--dir", "/codeexec/out"], collector.StartupProbe.Exec.Command);
        Assert.Equal((1, 60), (collector.StartupProbe.PeriodSeconds, collector.StartupProbe.FailureThreshold));
    }

    [Fact]
    public void Default_collector_command_is_the_operator_binary()
    {
        Assert.Equal(["/app/codeexec-operator", "collect"], Collector(RenderPod()).Command);
    }

    [Fact]
    public void Runtime_class_and_priority_class_come_from_runtime_and_options()
    {
        var runtime = TestObjects.Runtime();
        runtime.Spec.RuntimeClassName = "kata";
        var options = new SandboxOptions { PriorityClassName = "sandbox-low" };

        var pod = SandboxRenderer.Pod(TestObjects.Request(runtime: runtime, options: options), options);

        Assert.Equal("kata", pod.Spec.RuntimeClassName);
        Assert.Equal("sandbox-low", pod.Spec.PriorityClassName);

        runtime.Spec.RuntimeClassName = "";
        Assert.Equal("gvisor", SandboxRenderer.Pod(TestObjects.Request(runtime: runtime), Options).Spec.RuntimeClassName);
    }

    [Fact]
    public void Code_never_lands_in_the_pod_spec()
    {
        const string secretCode = "print('TOP-SECRET-TOKEN-4711')";
        var execution = TestObjects.Execution(code: secretCode);
        execution.Spec.Stdin = "STDIN-SECRET-99";
        var pod = RenderPod(execution);

        var json = KubernetesJson.Serialize(pod);

        Assert.DoesNotContain("TOP-SECRET-TOKEN-4711", json, StringComparison.Ordinal);
        Assert.DoesNotContain("STDIN-SECRET-99", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_config_map_is_immutable_with_code_stdin_and_files()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Stdin = "in";
        execution.Spec.Files = [new InputFile { Name = "a.txt", Content = "A" }];
        var children = SandboxRenderer.Render(TestObjects.Request(execution), Options);

        Assert.Null(children.CodeSecret);
        var map = children.CodeConfigMap!;
        Assert.Equal("hello-0b6c3e9e-code", map.Metadata.Name);
        Assert.True(map.Immutable);
        Assert.Equal(new Dictionary<string, string> { ["code"] = "print('hi')", ["stdin"] = "in", ["file.a.txt"] = "A" }, map.Data);
        Assert.Equal(TestObjects.Request(execution).Code.Sha256, map.Metadata.Annotations[SandboxNames.CodeSha256Annotation]);
    }

    [Fact]
    public void Code_from_a_secret_is_copied_into_an_immutable_secret_and_mounted_from_it()
    {
        var execution = TestObjects.Execution(code: null);
        execution.Spec.CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "src", Key = "main.py" } };
        var children = SandboxRenderer.Render(TestObjects.Request(execution), Options);

        Assert.Null(children.CodeConfigMap);
        var secret = children.CodeSecret!;
        Assert.True(secret.Immutable);
        Assert.Equal("print('from a reference')", System.Text.Encoding.UTF8.GetString(secret.Data["code"]));
        var volume = children.Pod.Spec.Volumes[0];
        Assert.Null(volume.ConfigMap);
        Assert.Equal(("hello-0b6c3e9e-code", 292), (volume.Secret.SecretName, volume.Secret.DefaultMode ?? 0));
        Assert.Equal(["NetworkPolicy", "Secret", "Pod"], children.InCreationOrder.Select(o => o.Kind));
    }

    [Fact]
    public void Children_have_names_labels_and_a_controller_owner_reference()
    {
        var children = SandboxRenderer.Render(TestObjects.Request(), Options);

        Assert.Equal(["NetworkPolicy", "ConfigMap", "Pod"], children.InCreationOrder.Select(o => o.Kind));
        Assert.Equal(["hello-0b6c3e9e-deny-all", "hello-0b6c3e9e-code", "hello-0b6c3e9e-sandbox"], children.InCreationOrder.Select(o => o.Metadata.Name));
        Assert.Equal(["sandbox", "code", "network"], new[] { children.Pod, (IKubernetesObject<V1ObjectMeta>)children.CodeConfigMap!, children.NetworkPolicy }.Select(o => o.Metadata.Labels["codeexec.dev/role"]));
        foreach (var child in children.InCreationOrder)
        {
            Assert.Equal("team-a", child.Metadata.NamespaceProperty);
            Assert.Equal("codeexec-operator", child.Metadata.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("hello", child.Metadata.Labels["codeexec.dev/execution"]);
            var owner = Assert.Single(child.Metadata.OwnerReferences);
            Assert.Equal(("codeexec.dev/v1alpha1", "CodeExecution", "hello", "0b6c3e9e-1111-2222-3333-444455556666"), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid));
            Assert.True(owner.Controller);
            Assert.True(owner.BlockOwnerDeletion);
        }
    }

    [Fact]
    public void Deny_all_policy_selects_exactly_the_sandbox_pod_and_allows_nothing()
    {
        var children = SandboxRenderer.Render(TestObjects.Request(), Options);
        var policy = children.NetworkPolicy.Spec;

        Assert.Equal(["Ingress", "Egress"], policy.PolicyTypes);
        Assert.Empty(policy.Ingress);
        Assert.Empty(policy.Egress);
        Assert.NotEmpty(policy.PodSelector.MatchLabels);
        foreach (var (key, value) in policy.PodSelector.MatchLabels)
        {
            Assert.Equal(value, children.Pod.Metadata.Labels[key]);
        }

        Assert.Equal("sandbox", policy.PodSelector.MatchLabels["codeexec.dev/role"]);
        Assert.Equal("0b6c3e9e-1111-2222-3333-444455556666", policy.PodSelector.MatchLabels["codeexec.dev/execution-uid"]);
    }

    [Fact]
    public void Egress_policy_allows_only_pinned_addresses_on_80_and_443_and_pins_host_aliases()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org"] };
        var runtime = TestObjects.Runtime();
        runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["pypi.org"] };
        var pinned = new PinnedHost("pypi.org", [IPAddress.Parse("151.101.0.223"), IPAddress.Parse("2a04:4e42::223")]);
        var children = SandboxRenderer.Render(TestObjects.Request(execution, runtime, egress: [pinned]), Options);

        Assert.Equal("hello-0b6c3e9e-egress", children.NetworkPolicy.Metadata.Name);
        var rule = Assert.Single(children.NetworkPolicy.Spec.Egress);
        Assert.Equal(["151.101.0.223/32", "2a04:4e42::223/128"], rule.To.Select(p => p.IpBlock.Cidr));
        Assert.All(rule.To, p => Assert.Null(p.IpBlock.Except));
        Assert.All(rule.To, p => Assert.Null(p.NamespaceSelector));
        Assert.Equal([("TCP", "80"), ("TCP", "443")], rule.Ports.Select(p => (p.Protocol, p.Port.Value)));
        Assert.Empty(children.NetworkPolicy.Spec.Ingress);

        var pod = children.Pod;
        Assert.Equal("None", pod.Spec.DnsPolicy);
        Assert.Equal(["127.0.0.1"], pod.Spec.DnsConfig.Nameservers);
        Assert.Null(pod.Spec.DnsConfig.Searches);
        Assert.Equal([("151.101.0.223", "pypi.org"), ("2a04:4e42::223", "pypi.org")], pod.Spec.HostAliases.Select(a => (a.Ip, Assert.Single(a.Hostnames))));
        Assert.Single(pod.Spec.InitContainers); // no proxy configured
    }

    [Fact]
    public void Egress_proxy_sidecar_is_added_only_when_configured()
    {
        var execution = TestObjects.Execution();
        execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = ["pypi.org"] };
        var runtime = TestObjects.Runtime();
        runtime.Spec.Egress = new RuntimeEgressPolicy { Allowed = true, AllowedHosts = ["pypi.org"] };
        var options = new SandboxOptions { EgressProxy = new EgressProxyOptions { Image = "proxy:1", Command = ["/proxy"], Port = 8888 } };
        var pod = SandboxRenderer.Pod(TestObjects.Request(execution, runtime, options, [new PinnedHost("pypi.org", [IPAddress.Parse("151.101.0.223")])]), options);

        var proxy = pod.Spec.InitContainers[1];
        Assert.Equal(("egress-proxy", "proxy:1", "Always"), (proxy.Name, proxy.Image, proxy.RestartPolicy));
        Assert.Contains(proxy.Env, e => e is { Name: "CODEEXEC_ALLOWED_HOSTS", Value: "pypi.org" });
        Assert.Contains(Code(pod).Env, e => e is { Name: "HTTPS_PROXY", Value: "http://127.0.0.1:8888" });

        Assert.Single(SandboxRenderer.Pod(TestObjects.Request(options: options), options).Spec.InitContainers);
    }

    [Fact]
    public void Rendering_is_deterministic()
    {
        var first = KubernetesYaml.SerializeAll(SandboxRenderer.Render(TestObjects.Request(), Options).InCreationOrder);
        var second = KubernetesYaml.SerializeAll(SandboxRenderer.Render(TestObjects.Request(), Options).InCreationOrder);

        Assert.Equal(first, second);
    }
}
