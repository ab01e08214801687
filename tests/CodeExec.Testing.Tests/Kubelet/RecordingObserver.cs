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

    public IReadOnlyList<string> Events => [.. _events];

    public void ContainerWaiting(string container, string reason, string? message) => _events.Enqueue($"{container} waiting {reason}");

    public void ContainerStarted(string container, string containerId, DateTimeOffset startedAt) => _events.Enqueue($"{container} started");

    public void ContainerTerminated(string container, ContainerTermination termination)
    {
        _terminations[container] = termination;
        _events.Enqueue($"{container} terminated {termination.ExitCode} {termination.Reason}");
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
