using System.Reflection;
using CodeExec.Api;
using CodeExec.Operator.Controller.Permissions;
using CodeExec.Operator.Reconciliation;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Each method of <see cref="OperatorApi"/> declares exactly the permission of the request it sends: every method is
/// called once against the emulator with its own User-Agent, and the emulator's record of that client's requests, in
/// RBAC's terms (kube-apiserver's <c>RequestInfoFactory.NewRequestInfo</c> verbs), must equal the method's
/// <see cref="KubernetesPermissionAttribute"/>s that are requests. The API server may refuse the call (404 for a name that
/// does not exist, 422): the request was still made and recorded, which is all this test needs.
/// </summary>
public sealed class OperatorApiDeclarationTests : IAsyncLifetime
{
    private const string Namespace = "default";

    private KubernetesEmulator _emulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One call per facade method, with arguments the API server reads as a request of the method's kind.</summary>
    private static readonly Dictionary<string, Func<IOperatorApi, Task>> Calls = new(StringComparer.Ordinal)
    {
        [nameof(IOperatorApi.GetExecutionAsync)] = api => api.GetExecutionAsync(Namespace, "absent", Ct),
        [nameof(IOperatorApi.ReplaceExecutionStatusAsync)] = api => api.ReplaceExecutionStatusAsync(
            new CodeExecution { Metadata = new V1ObjectMeta { Name = "absent", NamespaceProperty = Namespace } }, Namespace, "absent", Ct),
        [nameof(IOperatorApi.DeleteExecutionAsync)] = api => api.DeleteExecutionAsync(Namespace, "absent", new V1DeleteOptions(), Ct),
        [nameof(IOperatorApi.CreatePodAsync)] = api => api.CreatePodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" } }, Namespace, Ct),
        [nameof(IOperatorApi.ReadPodAsync)] = api => api.ReadPodAsync("absent", Namespace, Ct),
        [nameof(IOperatorApi.DeletePodAsync)] = api => api.DeletePodAsync("absent", Namespace, new V1DeleteOptions(), Ct),
        [nameof(IOperatorApi.ReadPodLogAsync)] = api => api.ReadPodLogAsync("absent", Namespace, "code", 1024, 20, Ct),
        [nameof(IOperatorApi.CreateNetworkPolicyAsync)] = api => api.CreateNetworkPolicyAsync(
            new V1NetworkPolicy { Metadata = new V1ObjectMeta { Name = "n" }, Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector() } }, Namespace, Ct),
        [nameof(IOperatorApi.ReadNetworkPolicyAsync)] = api => api.ReadNetworkPolicyAsync("absent", Namespace, Ct),
        [nameof(IOperatorApi.DeleteNetworkPolicyAsync)] = api => api.DeleteNetworkPolicyAsync("absent", Namespace, new V1DeleteOptions(), Ct),
        [nameof(IOperatorApi.CreateConfigMapAsync)] = api => api.CreateConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, Namespace, Ct),
        [nameof(IOperatorApi.ReadConfigMapAsync)] = api => api.ReadConfigMapAsync("absent", Namespace, Ct),
        [nameof(IOperatorApi.DeleteConfigMapAsync)] = api => api.DeleteConfigMapAsync("absent", Namespace, new V1DeleteOptions(), Ct),
        [nameof(IOperatorApi.CreateSecretAsync)] = api => api.CreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, Namespace, Ct),
        [nameof(IOperatorApi.ReadSecretAsync)] = api => api.ReadSecretAsync("absent", Namespace, Ct),
        [nameof(IOperatorApi.DeleteSecretAsync)] = api => api.DeleteSecretAsync("absent", Namespace, new V1DeleteOptions(), Ct),
        [nameof(IOperatorApi.CreateEventAsync)] = api => api.CreateEventAsync(new Corev1Event { Metadata = new V1ObjectMeta { Name = "e" } }, Namespace, Ct),
        [nameof(IOperatorApi.CreateResourceQuotaAsync)] = api => api.CreateResourceQuotaAsync(
            new V1ResourceQuota { Metadata = new V1ObjectMeta { Name = "q" } }, Namespace, Ct),
    };

    public async ValueTask InitializeAsync() => _emulator = await KubernetesEmulator.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public void Every_facade_method_is_called_by_this_test()
    {
        var methods = typeof(IOperatorApi).GetMethods().Select(m => m.Name).Order(StringComparer.Ordinal);

        Assert.Equal(methods, Calls.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_facade_method_sends_exactly_the_request_it_declares()
    {
        var problems = new List<string>();
        foreach (var (name, call) in Calls)
        {
            var agent = "declaration-test-" + name;
            using var client = new Kubernetes(new KubernetesClientConfiguration { Host = _emulator.ClientConfiguration.Host, UserAgent = agent });
            try
            {
                await using var _ = await Opened(call(new OperatorApi(client)));
            }
            catch (HttpOperationException)
            {
                // Refused (absent object, invalid body): the request was still sent and recorded.
            }

            var sent = _emulator.Access.Of(agent).Select(a => $"{a.Group}/{a.Resource} {a.Verb}").ToHashSet(StringComparer.Ordinal);
            var declared = typeof(OperatorApi).GetMethod(name)!.GetCustomAttributes<KubernetesPermissionAttribute>()
                .Where(p => p.NotARequest is null)
                .SelectMany(p => p.Verbs.Select(verb => $"{p.Group}/{p.Resource} {verb}"))
                .ToHashSet(StringComparer.Ordinal);
            if (!sent.SetEquals(declared))
            {
                problems.Add($"{name}: declares [{string.Join(", ", declared)}], sent [{string.Join(", ", sent)}]");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Awaits a call; a call that returns a stream (the log) has it disposed by the caller.</summary>
    private static async Task<IAsyncDisposable> Opened(Task call)
    {
        await call;
        return call is Task<Stream> stream ? stream.Result : new NothingToDispose();
    }

    private sealed class NothingToDispose : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
