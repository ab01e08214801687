using System.Net;
using System.Text;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Built-in kinds through KubernetesClient: the behaviour only the emulator can show (pods, logs, binding).</summary>
public sealed class CoreKindTests : EmulatorTest
{
    internal static V1Pod Pod(string name, params string[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [.. (containers.Length == 0 ? ["main"] : containers).Select(c => new V1Container { Name = c, Image = "python:3.12" })],
        },
    };

    [Fact]
    public async Task Created_pod_gets_uid_resource_version_defaults_and_pending_phase()
    {
        var pod = await Client.CreateNamespacedPodAsync(Pod("p1"), "default", cancellationToken: Ct);

        Assert.False(string.IsNullOrEmpty(pod.Metadata.Uid));
        Assert.False(string.IsNullOrEmpty(pod.Metadata.ResourceVersion));
        Assert.NotNull(pod.Metadata.CreationTimestamp);
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Equal("Always", pod.Spec.RestartPolicy);
        Assert.Equal("default", pod.Spec.ServiceAccountName);
        Assert.Equal("IfNotPresent", pod.Spec.Containers[0].ImagePullPolicy);
        var read = await Client.ReadNamespacedPodAsync("p1", "default", cancellationToken: Ct);
        Assert.Equal(pod.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Create_in_a_missing_namespace_is_404_for_the_namespace()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CreateNamespacedPodAsync(Pod("p"), "nowhere", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
        Assert.Contains("namespaces \\\"nowhere\\\" not found", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_name_appends_five_characters()
    {
        var configMap = await Client.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "cx-" } }, "default", cancellationToken: Ct);
        Assert.Matches("^cx-[bcdfghjklmnpqrstvwxz2456789]{5}$", configMap.Metadata.Name);
    }

    [Fact]
    public async Task Field_selector_on_status_phase_and_node_name_filters_pods()
    {
        await Client.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: Ct);
        await Client.CreateNamespacedPodAsync(Pod("b"), "default", cancellationToken: Ct);
        var b = await Client.ReadNamespacedPodStatusAsync("b", "default", cancellationToken: Ct);
        b.Status.Phase = "Running";
        await Client.ReplaceNamespacedPodStatusAsync(b, "b", "default", cancellationToken: Ct);
        await Client.CreateNamespacedBindingAsync(
            new V1Binding { Metadata = new V1ObjectMeta { Name = "a" }, Target = new V1ObjectReference { Kind = "Node", Name = "node-1" } }, "default", cancellationToken: Ct);

        var running = await Client.ListNamespacedPodAsync("default", fieldSelector: "status.phase=Running", cancellationToken: Ct);
        var notRunning = await Client.ListNamespacedPodAsync("default", fieldSelector: "status.phase!=Running", cancellationToken: Ct);
        var onNode = await Client.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=node-1", cancellationToken: Ct);

        Assert.Equal(["b"], running.Items.Select(p => p.Metadata.Name));
        Assert.Equal(["a"], notRunning.Items.Select(p => p.Metadata.Name));
        Assert.Equal(["a"], onNode.Items.Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task Unsupported_field_selector_is_400()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.ListNamespacedConfigMapAsync("default", fieldSelector: "data.x=1", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.BadRequest, error.Response.StatusCode);
        Assert.Contains("field label not supported: data.x", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pod_log_serves_container_stream_tail_and_limit()
    {
        await Client.CreateNamespacedPodAsync(Pod("logs", "main", "side"), "default", cancellationToken: Ct);
        Emulator.Logs.Append("default", "logs", "main", OutputStreamKind.Stdout, "one\ntwo\n"u8);
        Emulator.Logs.Append("default", "logs", "main", OutputStreamKind.Stderr, "oops\n"u8);
        Emulator.Logs.Append("default", "logs", "main", OutputStreamKind.Stdout, "three\n"u8);
        Emulator.Logs.Append("default", "logs", "side", OutputStreamKind.Stdout, "side\n"u8);

        Assert.Equal("one\ntwo\noops\nthree\n", await ReadLogAsync("log?container=main"));
        Assert.Equal("oops\nthree\n", await ReadLogAsync("log?container=main&tailLines=2"));
        Assert.Equal("one\ntw", await ReadLogAsync("log?container=main&limitBytes=6"));
        Assert.Equal("one\ntwo\nthree\n", await ReadLogAsync("log?container=main&stream=Stdout"));
        Assert.Equal("oops\n", await ReadLogAsync("log?container=main&stream=Stderr"));
        Assert.Equal("side\n", await ReadLogAsync("log?container=side"));

        using var typed = await Client.ReadNamespacedPodLogAsync("logs", "default", container: "main", tailLines: 1, cancellationToken: Ct);
        using var reader = new StreamReader(typed);
        Assert.Equal("three\n", await reader.ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task Pod_log_refuses_what_the_api_server_refuses()
    {
        await Client.CreateNamespacedPodAsync(Pod("two", "main", "side"), "default", cancellationToken: Ct);
        await Client.CreateNamespacedPodAsync(Pod("waiting"), "default", cancellationToken: Ct);
        Emulator.Logs.Append("default", "two", "main", OutputStreamKind.Stdout, "x\n"u8);

        var (noContainer, _) = await GetAsync("/api/v1/namespaces/default/pods/two/log");
        var (badContainer, _) = await GetAsync("/api/v1/namespaces/default/pods/two/log?container=nope");
        var (streamAndTail, _) = await GetAsync("/api/v1/namespaces/default/pods/two/log?container=main&stream=Stdout&tailLines=1");
        var (notStarted, message) = await GetAsync("/api/v1/namespaces/default/pods/waiting/log");
        var (missingPod, _) = await GetAsync("/api/v1/namespaces/default/pods/ghost/log");

        Assert.Equal(HttpStatusCode.BadRequest, noContainer);
        Assert.Equal(HttpStatusCode.BadRequest, badContainer);
        Assert.Equal(HttpStatusCode.BadRequest, streamAndTail);
        Assert.Equal(HttpStatusCode.BadRequest, notStarted);
        Assert.Contains("is waiting to start: ContainerCreating", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missingPod);
    }

    [Fact]
    public async Task Binding_sets_node_name_once()
    {
        await Client.CreateNamespacedPodAsync(Pod("bind"), "default", cancellationToken: Ct);
        var binding = new V1Binding { Metadata = new V1ObjectMeta { Name = "bind" }, Target = new V1ObjectReference { Kind = "Node", Name = "n1" } };
        await Client.CreateNamespacedBindingAsync(binding, "default", cancellationToken: Ct);

        var pod = await Client.ReadNamespacedPodAsync("bind", "default", cancellationToken: Ct);
        Assert.Equal("n1", pod.Spec.NodeName);
        Assert.Contains(pod.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True");
        var again = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CreateNamespacedBindingAsync(binding, "default", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
    }

    [Fact]
    public async Task Pod_spec_is_immutable_except_image_and_deadline()
    {
        var pod = await Client.CreateNamespacedPodAsync(Pod("imm"), "default", cancellationToken: Ct);
        pod.Spec.ActiveDeadlineSeconds = 30;
        pod.Spec.Containers[0].Image = "python:3.13";
        pod = await Client.ReplaceNamespacedPodAsync(pod, "imm", "default", cancellationToken: Ct);
        Assert.Equal(30, pod.Spec.ActiveDeadlineSeconds);

        pod.Spec.Containers[0].Args = ["changed"];
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Client.ReplaceNamespacedPodAsync(pod, "imm", "default", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
    }

    [Fact]
    public async Task Secret_string_data_is_stored_as_base64_data()
    {
        await Client.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            StringData = new Dictionary<string, string> { ["code"] = "print(1)" },
        }, "default", cancellationToken: Ct);

        var secret = await Client.ReadNamespacedSecretAsync("s", "default", cancellationToken: Ct);
        Assert.Null(secret.StringData);
        Assert.Equal("print(1)", Encoding.UTF8.GetString(secret.Data["code"]));
        Assert.Equal("Opaque", secret.Type);
    }

    [Fact]
    public async Task Leases_events_network_policies_and_cluster_kinds_are_served()
    {
        await Client.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "leader" }, Spec = new V1LeaseSpec { HolderIdentity = "me" } }, "default", cancellationToken: Ct);
        await Client.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy { Metadata = new V1ObjectMeta { Name = "deny" }, Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector() } }, "default", cancellationToken: Ct);
        await Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event { Metadata = new V1ObjectMeta { Name = "e1" }, InvolvedObject = new V1ObjectReference { Name = "p" }, Reason = "Started" }, "default", cancellationToken: Ct);
        await Client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event { Metadata = new V1ObjectMeta { Name = "e2" }, Reason = "Started", Type = "Normal", EventTime = DateTime.UtcNow, ReportingController = "x", ReportingInstance = "y", Action = "Run" }, "default", cancellationToken: Ct);
        await Client.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "gvisor" }, Handler = "runsc" }, cancellationToken: Ct);
        await Client.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "sandbox" }, Value = 10 }, cancellationToken: Ct);
        await Client.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota { Metadata = new V1ObjectMeta { Name = "q" } }, "default", cancellationToken: Ct);
        await Client.CreateNamespacedLimitRangeAsync(new V1LimitRange { Metadata = new V1ObjectMeta { Name = "l" } }, "default", cancellationToken: Ct);
        await Client.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "sa" } }, "default", cancellationToken: Ct);

        Assert.Equal("me", (await Client.ReadNamespacedLeaseAsync("leader", "default", cancellationToken: Ct)).Spec.HolderIdentity);
        Assert.Single((await Client.ListNamespacedNetworkPolicyAsync("default", cancellationToken: Ct)).Items);
        Assert.Single((await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "reason=Started", cancellationToken: Ct)).Items);
        Assert.Single((await Client.EventsV1.ListNamespacedEventAsync("default", cancellationToken: Ct)).Items);
        Assert.Equal("runsc", (await Client.ReadRuntimeClassAsync("gvisor", cancellationToken: Ct)).Handler);
        Assert.Equal(10, (await Client.ReadPriorityClassAsync("sandbox", cancellationToken: Ct)).Value);
        Assert.Single((await Client.ListNamespacedResourceQuotaAsync("default", cancellationToken: Ct)).Items);
        Assert.Single((await Client.ListNamespacedLimitRangeAsync("default", cancellationToken: Ct)).Items);
        Assert.Equal("sa", (await Client.ReadNamespacedServiceAccountAsync("sa", "default", cancellationToken: Ct)).Metadata.Name);
    }

    private async Task<string> ReadLogAsync(string query)
    {
        var (status, body) = await GetAsync("/api/v1/namespaces/default/pods/logs/" + query);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(Emulator.BaseUri, path), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
