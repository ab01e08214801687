using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Threading.Channels;
using CodeExec.Operator.Controller.Watching;
using k8s.Autorest;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Fakes;

/// <summary>
/// A stand-in for the API server's HTTP side, driven step by step by a test: every GET the watcher sends waits in
/// <see cref="NextAsync"/> until the test answers it (a list body, a watch stream it writes lines into, or an error).
/// </summary>
internal sealed class ScriptedStreamSource : IKubernetesStreamSource
{
    private readonly Channel<PendingRequest> _requests = Channel.CreateUnbounded<PendingRequest>();

    public Task<HttpResponseMessage> GetStreamingAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(pathAndQuery, cancellationToken);
        _requests.Writer.TryWrite(pending);
        return pending.Response.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The next request the watcher sent.</summary>
    public async Task<PendingRequest> NextAsync() => await _requests.Reader.ReadAsync(TestContext.Current.CancellationToken);

    /// <summary>True when a request is waiting for an answer.</summary>
    public bool HasPending => _requests.Reader.Count > 0;

    internal sealed class PendingRequest(string pathAndQuery, CancellationToken cancellationToken)
    {
        public string PathAndQuery { get; } = pathAndQuery;

        public TaskCompletionSource<HttpResponseMessage> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Path => PathAndQuery.Split('?')[0];

        public IReadOnlyDictionary<string, string> Query => PathAndQuery.Contains('?', StringComparison.Ordinal)
            ? PathAndQuery.Split('?')[1].Split('&').Select(pair => pair.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => Uri.UnescapeDataString(pair[1]))
            : new Dictionary<string, string>();

        public bool IsWatch => Query.GetValueOrDefault("watch") == "true";

        public void RespondJson(string json) =>
            Response.SetResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

        public void Fail(HttpStatusCode status)
        {
            var response = new HttpResponseMessage(status);
            Response.SetException(new HttpOperationException($"status {(int)status}")
            {
                Response = new HttpResponseMessageWrapper(response, ""),
            });
        }

        public void Fail(Exception exception) => Response.SetException(exception);

        /// <summary>Answers with an open watch stream; write lines to it and complete it to end the watch.</summary>
        public WatchStream OpenStream()
        {
            var pipe = new Pipe();
            Response.SetResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(pipe.Reader.AsStream()) });
            return new WatchStream(pipe.Writer, cancellationToken);
        }
    }

    internal sealed class WatchStream(PipeWriter writer, CancellationToken requestAborted)
    {
        /// <summary>Completes when the watcher abandoned the request (its token was cancelled).</summary>
        public CancellationToken RequestAborted { get; } = requestAborted;

        public async Task WriteAsync(string line)
        {
            await writer.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), TestContext.Current.CancellationToken);
            await writer.FlushAsync(TestContext.Current.CancellationToken);
        }

        public Task WriteEventAsync(string type, string objectJson) => WriteAsync($$$"""{"type":"{{{type}}}","object":{{{objectJson}}}}""");

        public async Task CloseAsync() => await writer.CompleteAsync();
    }
}
