using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>
/// The emulator's record of API access in RBAC's terms (verbs as kube-apiserver's <c>RequestInfoFactory.NewRequestInfo</c>
/// derives them), including requests for resources it does not serve: a real API server authorizes those too, so a
/// client's use of one must show in the record rather than vanish with the 404.
/// </summary>
public sealed class ApiAccessLogTests : EmulatorTest
{
    private const string Agent = "access-log-test";

    [Fact]
    public async Task Served_requests_are_recorded_with_their_RBAC_verb_and_scope()
    {
        using var client = ClientWithAgent();

        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: Ct);
        await client.CoreV1.ReadNamespacedConfigMapAsync("c", "default", cancellationToken: Ct);
        await client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: Ct);

        Assert.Equal(
            new HashSet<ApiAccess>
            {
                new(Agent, "", "configmaps", "create", false),
                new(Agent, "", "configmaps", "get", false),
                new(Agent, "", "configmaps", "list", true),
            },
            Emulator.Access.Of(Agent));
    }

    [Fact]
    public async Task A_request_for_a_resource_the_emulator_does_not_serve_is_recorded_too()
    {
        using var client = ClientWithAgent();

        var namespaced = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.GetNamespacedCustomObjectAsync(
            "example.com", "v1", "default", "gadgets", "g", Ct));
        var clusterWide = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ListClusterCustomObjectAsync(
            "example.com", "v1", "gizmos", cancellationToken: Ct));

        Assert.Equal((System.Net.HttpStatusCode.NotFound, System.Net.HttpStatusCode.NotFound), (namespaced.Response.StatusCode, clusterWide.Response.StatusCode));
        Assert.Equal(
            new HashSet<ApiAccess>
            {
                new(Agent, "example.com", "gadgets", "get", false),
                new(Agent, "example.com", "gizmos", "list", true),
            },
            Emulator.Access.Of(Agent));
    }

    private Kubernetes ClientWithAgent() =>
        new(new KubernetesClientConfiguration { Host = Emulator.ClientConfiguration.Host, UserAgent = Agent });
}
