using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Semantics;

/// <summary>An API server the semantics suite runs against: the emulator or the real CRD API server.</summary>
public abstract class ApiTarget : IAsyncLifetime
{
    /// <summary>The test resource's group, version and plural.</summary>
    public const string Group = "semantics.codeexec.dev";
    public const string Version = "v1";
    public const string Plural = "widgets";
    public const string Namespace = "default";

    private string? _unavailableReason;
    private Kubernetes? _client;

    /// <summary>The client for the target; skips the calling test when the target cannot run here.</summary>
    public Kubernetes Client
    {
        get
        {
            if (_unavailableReason is not null)
            {
                Assert.Skip(_unavailableReason);
            }

            return _client ?? throw new InvalidOperationException("the target was not initialized");
        }
    }

    public async ValueTask InitializeAsync()
    {
        _unavailableReason = UnavailableReason();
        if (_unavailableReason is not null)
        {
            return;
        }

        _client = await StartAsync();
        await InstallCrdAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(WidgetCrdYaml));
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Why this target cannot run here, or null.</summary>
    protected abstract string? UnavailableReason();

    protected abstract Task<Kubernetes> StartAsync();

    protected abstract Task InstallCrdAsync(V1CustomResourceDefinition crd);

    protected abstract ValueTask StopAsync();

    /// <summary>
    /// A resourceVersion the server no longer keeps history for, so a watch from it cannot resume: each target gets
    /// there its own way (see the overrides).
    /// </summary>
    public abstract Task<string> ExpiredResourceVersionAsync(string oldResourceVersion);

    /// <summary>Sends a raw request through the client's own HTTP stack (TLS and credentials included).</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null,
        string contentType = "application/json", CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(Client.BaseUri, path));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await Client.HttpClient.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Opens a watch and returns its events as they come, until the server ends the stream or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<JsonObject> WatchAsync(string query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Client.BaseUri, $"apis/{Group}/{Version}/namespaces/{Namespace}/{Plural}?watch=true&{query}"));
        using var response = await Client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                yield return (JsonObject)JsonNode.Parse(line)!;
            }
        }
    }

    /// <summary>A CRD with a status subresource, a defaulted field, a set list and a map list: enough to show every generic semantic.</summary>
    public const string WidgetCrdYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.semantics.codeexec.dev
        spec:
          group: semantics.codeexec.dev
          scope: Namespaced
          names:
            kind: Widget
            listKind: WidgetList
            plural: widgets
            singular: widget
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size:
                        type: integer
                      color:
                        type: string
                        default: blue
                      tags:
                        type: array
                        x-kubernetes-list-type: set
                        items:
                          type: string
                      parts:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name]
                        items:
                          type: object
                          required: [name]
                          properties:
                            name:
                              type: string
                            count:
                              type: integer
                  status:
                    type: object
                    properties:
                      phase:
                        type: string
                      observedGeneration:
                        type: integer
        """;
}

/// <summary>The emulator as a target.</summary>
public sealed class EmulatorTarget : ApiTarget
{
    private KubernetesEmulator? _emulator;

    protected override string? UnavailableReason() => null;

    protected override async Task<Kubernetes> StartAsync()
    {
        _emulator = await KubernetesEmulator.StartAsync(new EmulatorOptions { LoadRepositoryCrds = false });
        return _emulator.CreateClient();
    }

    protected override async Task InstallCrdAsync(V1CustomResourceDefinition crd) =>
        await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);

    protected override async ValueTask StopAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    /// <summary>Compacts the emulator's history (the fault a test can inject): the old resourceVersion is now expired.</summary>
    public override Task<string> ExpiredResourceVersionAsync(string oldResourceVersion)
    {
        _emulator!.Faults.CompactHistory();
        return Task.FromResult(oldResourceVersion);
    }
}

/// <summary>The real CRD API server (upstream apiextensions-apiserver and etcd) as a target; skipped when it is not built here.</summary>
public sealed class RealServerTarget : ApiTarget
{
    private KubeApiExtServer? _server;

    protected override string? UnavailableReason() => KubeApiExtInstallation.FromEnvironment().UnavailableReason;

    protected override async Task<Kubernetes> StartAsync()
    {
        _server = await KubeApiExtServer.StartAsync();
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
    }

    protected override async Task InstallCrdAsync(V1CustomResourceDefinition crd) => await _server!.InstallCrdAsync(crd);

    protected override async ValueTask StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// The real server serves watches from its watch cache, whose window starts when the resource was first watched
    /// (after the CRD was installed); etcd compaction does not shrink it. resourceVersion 1 is older than that window,
    /// which is the case a long-disconnected client meets.
    /// </summary>
    public override Task<string> ExpiredResourceVersionAsync(string oldResourceVersion) => Task.FromResult("1");
}
