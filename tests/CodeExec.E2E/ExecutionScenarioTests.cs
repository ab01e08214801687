using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CodeExec.Api;
using CodeExec.DevCluster.Cluster;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.E2E;

/// <summary>
/// What a user sees on a cluster, end to end: CodeExecutions created as users create them (the samples of
/// config/samples where one fits) in a restricted namespace, run by the operator in gVisor sandboxes, each final
/// status checked exactly.
/// </summary>
public sealed partial class ExecutionScenarioTests(RealClusterFixture cluster)
{
    /// <summary>A cluster pulls runtime images and starts gVisor sandboxes: allow for a cold node.</summary>
    private static readonly TimeSpan FinishWithin = TimeSpan.FromMinutes(4);

    /// <summary>How long the operator may take to remove the children of a finished execution.</summary>
    private static readonly TimeSpan CleanedWithin = TimeSpan.FromMinutes(1);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hello_world_succeeds_with_its_stdout_stderr_and_exit_code_0()
    {
        cluster.SkipUnlessAvailable();

        var status = (await RunSampleAsync("hello-python")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("hello, codeexec\n", status.Stdout);
        Assert.Matches(@"^python 3\.\d+\.\d+\n$", status.Stderr);
        Assert.False(status.StdoutTruncated ?? false);
        Assert.Equal(16, status.StdoutBytes);
        Assert.Matches("^[0-9a-f]{64}$", status.CodeSha256);
    }

    [Fact]
    public async Task A_non_zero_exit_fails_with_its_exit_code_and_stderr()
    {
        cluster.SkipUnlessAvailable();

        // hello-bash reads an input file, prints to both streams and exits 3 on purpose.
        var status = (await RunSampleAsync("hello-bash")).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.Error, 3) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("hello, bash\n", status.Stdout);
        Assert.Equal("exit code 3 on purpose\n", status.Stderr);
    }

    [Fact]
    public async Task An_endless_loop_is_stopped_at_its_timeout()
    {
        cluster.SkipUnlessAvailable();

        // timeout-loop: limits.timeoutSeconds 3.
        var status = (await RunSampleAsync("timeout-loop")).Status!;

        Assert.True((ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded) == (status.Phase, status.Reason), Describe(status));
        Assert.True(status.DurationMs >= 3000, $"ended after {status.DurationMs} ms, before its 3 s timeout: {Describe(status)}");
    }

    [Fact]
    public async Task Output_over_the_limit_keeps_head_and_tail_and_the_true_byte_count()
    {
        cluster.SkipUnlessAvailable();

        // big-output prints 100000 lines "line NNNNNN of output\n" (22 bytes each) with limits.outputBytes 4096.
        var status = (await RunSampleAsync("big-output")).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.True(status.StdoutTruncated, Describe(status));
        Assert.Equal(2_200_000, status.StdoutBytes);
        var stdout = status.Stdout!;
        Assert.InRange(Encoding.UTF8.GetByteCount(stdout), 3000, 4096);
        Assert.StartsWith("line 000000 of output\nline 000001 of output\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("line 099999 of output\n", stdout, StringComparison.Ordinal);
        var marker = OmittedMarker().Match(stdout);
        Assert.True(marker.Success, "no omission marker in " + stdout);
        var omitted = long.Parse(marker.Groups["omitted"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(2_200_000 - (Encoding.UTF8.GetByteCount(stdout) - Encoding.UTF8.GetByteCount(marker.Value)), omitted);
    }

    [Fact]
    public async Task Outbound_connections_and_DNS_lookups_fail()
    {
        cluster.SkipUnlessAvailable();

        // TCP to the cloud metadata address and, where the cluster has Services, to the API server's Service (which
        // every Pod reaches unless a NetworkPolicy stops it), and two names through the Pod's resolver (dnsPolicy None,
        // nameserver 127.0.0.1 where nothing answers). Every failure prints the same word whatever the errno (a dropped
        // SYN times out, a rejected one is refused, a network-less sandbox is unreachable); the errors go to stderr.
        var targets = new List<string> { "169.254.169.254:80" };
        if (await KubernetesServiceAsync() is { } apiServer)
        {
            targets.Add(apiServer);
        }

        var execution = Inline("network", $$"""
            import socket, sys
            for name in ["example.com", "kubernetes.default.svc.cluster.local"]:
                try:
                    print("dns", name, "resolved", socket.getaddrinfo(name, 443)[0][4][0])
                except OSError as e:
                    print("dns", name, "failed")
                    print("dns", name, repr(e), file=sys.stderr)
            for target in [{{string.Join(", ", targets.Select(t => $"\"{t}\""))}}]:
                host, port = target.rsplit(":", 1)
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(5)
                try:
                    s.connect((host, int(port)))
                    print("tcp", target, "connected")
                except OSError as e:
                    print("tcp", target, "failed")
                    print("tcp", target, repr(e), file=sys.stderr)
                finally:
                    s.close()
            """);

        var status = (await RunAsync(execution)).Status!;

        Assert.True((ExecutionPhase.Succeeded, ExecutionReason.Completed, 0) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.False(string.IsNullOrEmpty(status.NetworkPolicyUid), $"no NetworkPolicy recorded: {Describe(status)}");
        Assert.Equal("dns example.com failed\ndns kubernetes.default.svc.cluster.local failed\n"
            + string.Concat(targets.Select(t => $"tcp {t} failed\n")), status.Stdout);
    }

    /// <summary>
    /// <c>ip:port</c> of Service default/kubernetes (the API server), or null where the cluster serves no Services (the
    /// dev cluster's emulator).
    /// </summary>
    private async Task<string?> KubernetesServiceAsync()
    {
        try
        {
            var service = await cluster.Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default", cancellationToken: Cancellation);
            return service.Spec.ClusterIP is { Length: > 0 } ip && !ip.Contains(':', StringComparison.Ordinal)
                ? string.Create(CultureInfo.InvariantCulture, $"{ip}:{service.Spec.Ports[0].Port}")
                : null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task After_the_final_status_the_sandbox_Pod_NetworkPolicy_and_code_ConfigMap_are_deleted()
    {
        cluster.SkipUnlessAvailable();

        // The code sleeps so that its children are seen while it runs: the selector below finds them, so finding
        // nothing afterwards means they were deleted.
        var names = await SampleApplier.CreateExecutionsAsync(cluster.Client, cluster.Namespace,
            [Inline("cleanup", "import time\ntime.sleep(3)\nprint('done')\n")], "e2e-" + Guid.NewGuid().ToString("N")[..5] + "-", Cancellation);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        CodeExecution execution;
        var deadline = DateTimeOffset.UtcNow + FinishWithin;
        while (true)
        {
            execution = await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(ApiConstants.Group, ApiConstants.Version,
                cluster.Namespace, ApiConstants.CodeExecutionPlural, names[0], Cancellation);
            if (ExecutionPhase.IsFinal(execution.Status?.Phase))
            {
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{names[0]} is not final after {FinishWithin} ({cluster.Description})");
            seen.UnionWith((await ChildrenAsync(execution.Metadata.Uid)).Select(child => child.Split(' ')[0]));
            await Task.Delay(TimeSpan.FromMilliseconds(250), Cancellation);
        }

        var status = execution.Status!;
        Assert.True((ExecutionPhase.Succeeded, "done\n") == (status.Phase, status.Stdout), Describe(status));
        Assert.Equal(["ConfigMap", "NetworkPolicy", "Pod"], seen.Order(StringComparer.Ordinal));

        List<string> left;
        var cleanedBy = DateTimeOffset.UtcNow + CleanedWithin;
        while ((left = await ChildrenAsync(execution.Metadata.Uid)).Count > 0 && DateTimeOffset.UtcNow < cleanedBy)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), Cancellation);
        }

        Assert.True(left.Count == 0, $"still there {CleanedWithin.TotalSeconds:0} s after the final status: {string.Join(", ", left)} ({cluster.Description})");
        // The execution itself stays until its TTL (the operator's default is an hour), with its result.
        var kept = await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(ApiConstants.Group, ApiConstants.Version,
            cluster.Namespace, ApiConstants.CodeExecutionPlural, names[0], Cancellation);
        Assert.Equal("done\n", kept.Status?.Stdout);
    }

    /// <summary>
    /// The Pods, NetworkPolicies, ConfigMaps and Secrets of the tenant namespace labelled with the execution's UID
    /// (<c>codeexec.dev/execution-uid</c>: src/CodeExec.Operator/Sandbox/SandboxNames.cs, Labels), as "Kind name".
    /// </summary>
    private async Task<List<string>> ChildrenAsync(string executionUid)
    {
        var selector = "codeexec.dev/execution-uid=" + executionUid;
        var client = cluster.Client;
        return
        [
            .. (await client.CoreV1.ListNamespacedPodAsync(cluster.Namespace, labelSelector: selector, cancellationToken: Cancellation)).Items
                .Select(p => "Pod " + p.Metadata.Name),
            .. (await client.NetworkingV1.ListNamespacedNetworkPolicyAsync(cluster.Namespace, labelSelector: selector, cancellationToken: Cancellation)).Items
                .Select(p => "NetworkPolicy " + p.Metadata.Name),
            .. (await client.CoreV1.ListNamespacedConfigMapAsync(cluster.Namespace, labelSelector: selector, cancellationToken: Cancellation)).Items
                .Select(c => "ConfigMap " + c.Metadata.Name),
            .. (await client.CoreV1.ListNamespacedSecretAsync(cluster.Namespace, labelSelector: selector, cancellationToken: Cancellation)).Items
                .Select(s => "Secret " + s.Metadata.Name),
        ];
    }

    [Fact]
    public async Task A_memory_bomb_is_killed_at_its_memory_limit()
    {
        cluster.SkipUnlessAvailable();

        var status = (await RunSampleAsync("memory-bomb")).Status!;

        Assert.True((ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137) == (status.Phase, status.Reason, status.ExitCode), Describe(status));
        Assert.Equal("allocating\n", status.Stdout);
    }

    [Fact]
    public async Task The_tenant_namespace_refuses_a_Pod_that_breaks_the_restricted_Pod_Security_Standard()
    {
        cluster.SkipUnlessAvailable();

        // What the namespace label asks of the cluster's Pod Security admission: a Pod with no securityContext at all
        // is refused (dry run, so nothing is created even where admission would let it through).
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "e2e-unrestricted" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "python:3.12-slim" }] },
        };

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, cluster.Namespace, dryRun: "All", cancellationToken: Cancellation));

        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        var message = KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Message;
        Assert.Contains("violates PodSecurity \"restricted:latest\"", message, StringComparison.Ordinal);
    }

    /// <summary>A python execution of <paramref name="code"/> with a 20 s timeout, named after <paramref name="name"/>.</summary>
    private static CodeExecution Inline(string name, string code) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new CodeExecutionSpec { Runtime = "python", Code = code, Limits = new ExecutionLimits { TimeoutSeconds = 20 } },
    };

    private Task<CodeExecution> RunSampleAsync(string name) => RunAsync(cluster.Samples.Select(name)[0]);

    /// <summary>Creates <paramref name="template"/> under a fresh name in the tenant namespace and waits for its final status.</summary>
    private async Task<CodeExecution> RunAsync(CodeExecution template)
    {
        var prefix = "e2e-" + Guid.NewGuid().ToString("N")[..5] + "-";
        var names = await SampleApplier.CreateExecutionsAsync(cluster.Client, cluster.Namespace, [template], prefix, Cancellation);
        var results = await ExecutionWatcher.WaitForFinalAsync(cluster.Client, cluster.Namespace, names, FinishWithin, null, TimeProvider.System, Cancellation);
        var execution = results[names[0]];
        Assert.True(ExecutionPhase.IsFinal(execution?.Status?.Phase),
            $"{names[0]} is not final after {FinishWithin} (phase {execution?.Status?.Phase ?? "none"}, reason {execution?.Status?.Reason}, "
            + $"message {execution?.Status?.Message}); {cluster.Description}");
        return execution!;
    }

    private string Describe(CodeExecutionStatus status) =>
        string.Create(CultureInfo.InvariantCulture, $"phase {status.Phase}, reason {status.Reason}, exit {status.ExitCode}, message {status.Message}, ")
        + $"stdout {Shorten(status.Stdout)}, stderr {Shorten(status.Stderr)} ({cluster.Description})";

    private static string Shorten(string? text) => text is null ? "(none)" : text.Length <= 300 ? $"\"{text}\"" : $"\"{text[..300]}...\"";

    [GeneratedRegex(@"\n\[\.\.\. (?<omitted>\d+) bytes omitted by codeexec \.\.\.\]\n")]
    private static partial Regex OmittedMarker();
}
