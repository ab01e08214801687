using System.Collections.Concurrent;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Hosting;
using CodeExec.Testing.Emulator;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Integration;

/// <summary>Records every reconcile a test operator runs; a test may make reconciles block until released or cancelled.</summary>
internal sealed class ReconcileRecorder
{
    public ConcurrentQueue<ObjectKey> Keys { get; } = new();

    /// <summary>When set, each reconcile waits for it (or for its cancellation token).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Completes with the token of a reconcile that was cancelled.</summary>
    public TaskCompletionSource<ObjectKey> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Saw(ObjectKey key) => Keys.Contains(key);
}

/// <summary>A reconciler that only records what it was asked to reconcile.</summary>
internal sealed class RecordingReconciler(ReconcileRecorder recorder) : IReconciler<CodeExecution>
{
    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        recorder.Keys.Enqueue(key);
        if (recorder.Gate is { } gate)
        {
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                recorder.Cancelled.TrySetResult(key);
                throw;
            }
        }

        return ReconcileResult.Done;
    }
}

/// <summary>Helpers for tests that run the real operator host against the in-process API emulator.</summary>
internal static class EmulatedCluster
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Builds and starts the operator host on the emulator with the recording reconciler in place of the CodeExecution logic, on a free port.</summary>
    public static async Task<WebApplication> StartOperatorAsync(KubernetesEmulator emulator, ReconcileRecorder recorder, params string[] settings)
    {
        string[] args = ["--urls", "http://127.0.0.1:0", .. settings];
        var app = OperatorHost.Build(args, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddKubernetesClient(_ => new KubernetesApiClient(emulator.ClientConfiguration));
            builder.Services.AddSingleton(recorder);
            // The host registers the CodeExecution controller (owning sandbox Pods); these machinery tests swap its logic
            // for the recording reconciler (the last registration of a service wins).
            builder.Services.AddScoped<IReconciler<CodeExecution>, RecordingReconciler>();
        });
        await app.StartAsync(Ct);
        return app;
    }

    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static Task<CodeExecution> CreateExecutionAsync(IKubernetes client, string name) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync<CodeExecution>(
            new CodeExecution
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
                Spec = new CodeExecutionSpec { Runtime = "python", Code = "print('hello')" },
            },
            ApiConstants.Group, ApiConstants.Version, "default", ApiConstants.CodeExecutionPlural, cancellationToken: Ct);

    public static Task DeleteExecutionAsync(IKubernetes client, string name) =>
        client.CustomObjects.DeleteNamespacedCustomObjectAsync(ApiConstants.Group, ApiConstants.Version, "default",
            ApiConstants.CodeExecutionPlural, name, cancellationToken: Ct);

    public static Task<V1Pod> CreatePodAsync(IKubernetes client, string name, CodeExecution? owner, bool managed = true) =>
        client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = "default",
                    Labels = managed ? new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "codeexec-operator" } : null,
                    OwnerReferences = owner is null ? null : [CodeExec.Operator.Controller.Owners.OwnerMapping.ControllerReference(owner)],
                },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "code", Image = "python:3.13" }], RestartPolicy = "Never" },
            },
            "default", cancellationToken: Ct);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds. The bound only keeps a broken test from hanging the run; it is
    /// far above what any passing run needs and is not a speed requirement.
    /// </summary>
    public static Task EventuallyAsync(Func<bool> condition, string? what = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), what);

    /// <inheritdoc cref="EventuallyAsync(Func{bool}, string?)"/>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string? what = null)
    {
        var giveUp = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (TimeProvider.System.GetUtcNow() > giveUp)
            {
                Assert.Fail($"never happened: {what ?? "the awaited condition"}");
            }

            await Task.Delay(20, Ct);
        }
    }
}
