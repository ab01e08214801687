using CodeExec.Api;
using CodeExec.DevCluster.Samples;
using k8s;

namespace CodeExec.DevCluster.Cluster;

/// <summary>Waits until CodeExecutions reach a final phase, reporting each phase change as it is seen.</summary>
public static class ExecutionWatcher
{
    /// <summary>
    /// Polls the executions named <paramref name="names"/> in <paramref name="namespace"/> until every one is final or
    /// <paramref name="timeout"/> passes; calls <paramref name="onPhaseChange"/> (name, new phase) for every change seen.
    /// Returns the last state of each (null when it could not be read).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, CodeExecution?>> WaitForFinalAsync(IKubernetes client, string @namespace,
        IReadOnlyCollection<string> names, TimeSpan timeout, Action<string, string?>? onPhaseChange, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(time);
        var latest = names.ToDictionary(n => n, _ => (CodeExecution?)null, StringComparer.Ordinal);
        var phases = new Dictionary<string, string?>(StringComparer.Ordinal);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<CodeExecutionList>(ApiConstants.Group, ApiConstants.Version,
                @namespace, ApiConstants.CodeExecutionPlural, cancellationToken: cancellationToken);
            foreach (var execution in list.Items.Where(e => latest.ContainsKey(e.Metadata.Name)))
            {
                latest[execution.Metadata.Name] = execution;
                var phase = execution.Status?.Phase;
                if (!phases.TryGetValue(execution.Metadata.Name, out var previous) || previous != phase)
                {
                    phases[execution.Metadata.Name] = phase;
                    onPhaseChange?.Invoke(execution.Metadata.Name, phase);
                }
            }

            if (latest.Values.All(e => SampleExpectation.IsFinal(e?.Status?.Phase)) || time.GetUtcNow() >= deadline)
            {
                return latest;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }
}
