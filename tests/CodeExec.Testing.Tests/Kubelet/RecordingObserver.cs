using System.Collections.Concurrent;
using System.Text;
using CodeExec.Testing.Emulator;
using CodeExec.Testing.Kubelet;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>Records what a pod runner reports, in order.</summary>
internal sealed class RecordingObserver : IPodRunObserver
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentDictionary<(string, OutputStreamKind), MemoryStream> _output = new();
    private readonly ConcurrentDictionary<string, ContainerTermination> _terminations = new();
    private readonly ConcurrentDictionary<string, string> _messages = new();

    public IReadOnlyList<string> Events => [.. _events];

    public void ContainerWaiting(string container, string reason, string? message) => _events.Enqueue($"{container} waiting {reason}");

    public void ContainerStarted(string container, string containerId, DateTimeOffset startedAt) => _events.Enqueue($"{container} started");

    public void ContainerTerminated(string container, ContainerTermination termination)
    {
        _terminations[container] = termination;
        _events.Enqueue($"{container} terminated {termination.ExitCode} {termination.Reason}");
        if (termination.Message is { Length: > 0 } message)
        {
            _messages[container] = message;
        }
    }

    public void ContainerOutput(string container, OutputStreamKind stream, ReadOnlySpan<byte> data)
    {
        var buffer = _output.GetOrAdd((container, stream), _ => new MemoryStream());
        lock (buffer)
        {
            buffer.Write(data);
        }
    }

    public string Output(string container, OutputStreamKind stream = OutputStreamKind.Stdout)
    {
        if (!_output.TryGetValue((container, stream), out var buffer))
        {
            return "";
        }

        lock (buffer)
        {
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

    /// <summary>Everything recorded, for assertion messages: events, then each stream's output.</summary>
    public string Dump(PodRunOutcome? outcome = null) =>
        (outcome is null ? "" : $"outcome {outcome.End}: {outcome.Message}\n")
        + string.Join("\n", Events)
        + string.Concat(_messages.Select(m => $"\n{m.Key} message: {m.Value}"))
        + string.Concat(_output.Keys.OrderBy(k => k.Item1, StringComparer.Ordinal).Select(k => $"\n--- {k.Item1} {k.Item2}:\n{Output(k.Item1, k.Item2)}"));

    public ContainerTermination Termination(string container) =>
        _terminations.TryGetValue(container, out var termination) ? termination : throw new InvalidOperationException($"{container} did not terminate");

    public int IndexOf(string @event)
    {
        var events = Events;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] == @event)
            {
                return i;
            }
        }

        return -1;
    }
}
