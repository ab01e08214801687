using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// An in-process Kubernetes API server for tests: Kestrel on 127.0.0.1 and a free port, serving the built-in kinds
/// the operator uses and the custom resources of the repository's CRDs, with Kubernetes' semantics (resourceVersion,
/// conflicts, generation, status subresource, selectors, watch with bookmarks and 410 Gone, patches, server-side
/// apply, finalizers, garbage collection). KubernetesClient talks to it over real HTTP.
/// <code>
/// await using var emulator = await KubernetesEmulator.StartAsync();
/// var client = emulator.CreateClient();
/// </code>
/// </summary>
public sealed class KubernetesEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly ApiOperations _operations;
    private readonly GarbageCollector _garbageCollector;

    private KubernetesEmulator(WebApplication app, Uri baseUri, ObjectStore store, ApiOperations operations, GarbageCollector garbageCollector,
        PodLogStore logs, EmulatorFaults faults, EmulatorOptions options, ApiAccessLog access)
    {
        Access = access;
        _app = app;
        _store = store;
        _operations = operations;
        _garbageCollector = garbageCollector;
        BaseUri = baseUri;
        Logs = logs;
        Faults = faults;
        Options = options;
        ClientConfiguration = new KubernetesClientConfiguration { Host = baseUri.ToString().TrimEnd('/') };
    }

    /// <summary>Where the emulator listens, for example http://127.0.0.1:41234/.</summary>
    public Uri BaseUri { get; }

    /// <summary>A client configuration pointing at the emulator (plain HTTP, no credentials).</summary>
    public KubernetesClientConfiguration ClientConfiguration { get; }

    /// <summary>The container logs <c>pods/{name}/log</c> serves; the simulated kubelet appends to it.</summary>
    public PodLogStore Logs { get; }

    /// <summary>Faults to switch on while the emulator runs.</summary>
    public EmulatorFaults Faults { get; }

    /// <summary>Every kind of resource request served, by client and in RBAC's terms (what a role must grant).</summary>
    public ApiAccessLog Access { get; }

    /// <summary>The options the emulator was started with.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The current global resourceVersion (the last committed change).</summary>
    public long ResourceVersion => _store.CurrentResourceVersion;

    /// <summary>Starts an emulator with the given options (defaults: the repository's CRDs, namespaces default, kube-system, kube-public, kube-node-lease).</summary>
    public static async Task<KubernetesEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        var logs = options.Logs ?? new PodLogStore();
        var registry = new ResourceRegistry();
        var store = new ObjectStore(options.WatchHistorySize);
        var operations = new ApiOperations(registry, store, logs, options, options.TimeProvider);
        var faults = new EmulatorFaults(store.CloseAllWatches, store.CompactHistory);
        var access = new ApiAccessLog();
        var handler = new ApiHttpHandler(operations, logs, faults, options, access);

        var system = new WriteContext("kube-apiserver", DryRun: false);
        foreach (var name in options.Namespaces)
        {
            operations.Create(registry.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, system);
        }

        foreach (var priorityClass in Admission.PriorityAdmission.SystemPriorityClasses())
        {
            operations.Create(registry.Find("scheduling.k8s.io", "v1", "priorityclasses")!, null, priorityClass, system);
        }

        foreach (var file in CrdFiles(options))
        {
            LoadCrds(operations, File.ReadAllText(file));
        }

        foreach (var file in YamlFiles(options.ManifestPaths))
        {
            CreateObjects(operations, File.ReadAllText(file));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
        });
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var garbageCollector = new GarbageCollector(operations);
        return new KubernetesEmulator(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"), store, operations,
            garbageCollector, logs, faults, options, access);
    }

    /// <summary>
    /// The repository's <c>config/runtime</c> folder: the RuntimeClass <c>gvisor</c> and the PriorityClass
    /// <c>codeexec-sandbox</c> that a cluster running the operator has (<c>kubectl apply -k config/runtime</c>). Add it to
    /// <see cref="EmulatorOptions.ManifestPaths"/> so sandbox Pods pass RuntimeClass and Priority admission.
    /// </summary>
    public static string SandboxRuntimeManifests => RepositoryPath("config", "runtime")
        ?? throw new DirectoryNotFoundException("config/runtime not found above " + AppContext.BaseDirectory);

    /// <summary>A path inside the repository (the folder holding Operator.sln, searched upward from the test binaries); null when absent.</summary>
    public static string? RepositoryPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Operator.sln")))
            {
                var path = Path.Combine([dir.FullName, .. parts]);
                return Directory.Exists(path) || File.Exists(path) ? path : null;
            }
        }

        return null;
    }

    /// <summary>Creates the objects of a YAML text (one or more documents of built-in kinds or served custom resources).</summary>
    public void CreateFromYaml(string yaml) => CreateObjects(_operations, yaml);

    /// <summary>A new KubernetesClient for the emulator.</summary>
    public Kubernetes CreateClient() => new(ClientConfiguration);

    /// <summary>Registers the CustomResourceDefinitions in a YAML text (one or more documents), as <c>kubectl apply</c> of CRD files would.</summary>
    public void LoadCrdYaml(string yaml) => LoadCrds(_operations, yaml);

    public async ValueTask DisposeAsync()
    {
        _store.CloseAllWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _garbageCollector.DisposeAsync();
    }

    private static void LoadCrds(ApiOperations operations, string yaml)
    {
        foreach (var document in YamlJson.ParseDocuments(yaml).OfType<JsonObject>())
        {
            if (ObjectMeta.GetString(document, "kind") != "CustomResourceDefinition")
            {
                // A kustomization.yaml or other manifest next to the CRDs: not a resource definition.
                continue;
            }

            operations.Create(operations.Registry.CustomResourceDefinitions, null, document, new WriteContext("kube-apiserver", DryRun: false));
        }
    }

    private static void CreateObjects(ApiOperations operations, string yaml)
    {
        foreach (var document in YamlJson.ParseDocuments(yaml).OfType<JsonObject>())
        {
            var apiVersion = ObjectMeta.GetString(document, "apiVersion") ?? "";
            if (apiVersion.StartsWith("kustomize.config.k8s.io/", StringComparison.Ordinal))
            {
                continue;
            }

            var kind = ObjectMeta.GetString(document, "kind") ?? "";
            var type = operations.Registry.FindByKind(apiVersion, kind)
                ?? throw new InvalidOperationException($"the emulator serves no {apiVersion} {kind}");
            var @namespace = type.Namespaced ? ObjectMeta.GetString(document["metadata"] as JsonObject, "namespace") ?? "default" : null;
            operations.Create(type, @namespace, document, new WriteContext("kubectl-create", DryRun: false));
        }
    }

    private static IEnumerable<string> CrdFiles(EmulatorOptions options)
    {
        var paths = options.CrdPaths.ToList();
        if (paths.Count == 0 && options.LoadRepositoryCrds && FindRepositoryCrds() is { } repositoryCrds)
        {
            paths.Add(repositoryCrds);
        }

        return YamlFiles(paths);
    }

    private static IEnumerable<string> YamlFiles(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*.yaml").Order(StringComparer.Ordinal))
                {
                    yield return file;
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>The <c>crds/</c> folder next to Operator.sln, searched upward from the test binaries.</summary>
    private static string? FindRepositoryCrds() => RepositoryPath("crds");
}
