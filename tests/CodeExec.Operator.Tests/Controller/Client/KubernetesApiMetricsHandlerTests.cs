using System.Diagnostics.Metrics;
using System.Net;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Controller.Metrics;
using CodeExec.Operator.Tests.Controller.Fakes;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Client;

public sealed class KubernetesApiMetricsHandlerTests
{
    // Paths as the API server's request info resolver reads them (k8s.io/apiserver pkg/endpoints/request/requestinfo.go).
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods/hello-sandbox", "get", "pods")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/hello-sandbox/log?container=collector", "get", "pods/log")]
    [InlineData("GET", "/api/v1/pods?labelSelector=a%3Db&limit=500", "list", "pods")]
    [InlineData("GET", "/api/v1/pods?watch=true&resourceVersion=5", "watch", "pods")]
    [InlineData("GET", "/apis/codeexec.dev/v1alpha1/namespaces/team-a/codeexecutions?watch=1", "watch", "codeexecutions")]
    [InlineData("GET", "/apis/codeexec.dev/v1alpha1/coderuntimes/python", "get", "coderuntimes")]
    [InlineData("POST", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", "create", "networkpolicies")]
    [InlineData("PUT", "/apis/codeexec.dev/v1alpha1/namespaces/default/codeexecutions/hello/status", "update", "codeexecutions/status")]
    [InlineData("PATCH", "/apis/coordination.k8s.io/v1/namespaces/codeexec-system/leases/leader", "patch", "leases")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps/hello-code", "delete", "configmaps")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps", "deletecollection", "configmaps")]
    [InlineData("GET", "/api/v1/namespaces/default", "get", "namespaces")]
    [InlineData("GET", "/api/v1/namespaces", "list", "namespaces")]
    [InlineData("GET", "/version", "get", "")]
    public void The_verb_and_resource_are_the_ones_the_API_server_authorizes(string method, string path, string verb, string resource)
    {
        var result = KubernetesApiMetricsHandler.VerbOf(new HttpMethod(method), new Uri(new Uri("https://10.0.0.1:6443/"), path));

        Assert.Equal((verb, resource), result);
    }

    [Fact]
    public async Task Each_request_is_counted_by_verb_resource_and_status_code_and_a_failed_one_as_error()
    {
        var factory = TestMeters.Factory();
        var counted = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "codeexec.kubernetes.api.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => counted.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();
        var responses = new Queue<Func<HttpResponseMessage>>([
            () => new HttpResponseMessage(HttpStatusCode.Created),
            () => throw new HttpRequestException("connection refused"),
        ]);
        using var handler = new KubernetesApiMetricsHandler(factory) { InnerHandler = new Answering(responses) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("https://10.0.0.1:6443/") };

        using var created = await client.PostAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), null, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("/api/v1/namespaces/default/pods/x", UriKind.Relative), TestContext.Current.CancellationToken));

        Assert.Equal(2, counted.Count);
        Assert.Equal(new Dictionary<string, object?> { ["verb"] = "create", ["resource"] = "pods", ["code"] = "201" }, counted[0].Tags);
        Assert.Equal(new Dictionary<string, object?> { ["verb"] = "get", ["resource"] = "pods", ["code"] = "error" }, counted[1].Tags);
        Assert.All(counted, c => Assert.Equal(1, c.Value));
    }

    private sealed class Answering(Queue<Func<HttpResponseMessage>> responses) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(responses.Dequeue()());
    }
}
