using CodeExec.Api;
using CodeExec.Operator.Controller;
using CodeExec.Operator.Reconciliation;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CodeExec.Operator.Tests.Harness;

/// <summary>Counts the reconciles one operator replica runs, by wrapping its CodeExecution reconciler.</summary>
internal sealed class ReconcileCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);

    /// <summary>A host configuration that routes the replica's reconciles through this counter.</summary>
    public Action<WebApplicationBuilder> Install() => builder =>
        builder.Services.AddScoped<IReconciler<CodeExecution>>(provider =>
            new CountingReconciler(ActivatorUtilities.CreateInstance<CodeExecutionReconciler>(provider), this));

    private sealed class CountingReconciler(IReconciler<CodeExecution> inner, ReconcileCounter counter) : IReconciler<CodeExecution>
    {
        public Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
        {
            counter.Increment();
            return inner.ReconcileAsync(key, cancellationToken);
        }
    }
}
