using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Cli.Cluster;

/// <summary>One-line descriptions of API failures, quoting the server's own message as kubectl does.</summary>
internal static class ApiErrors
{
    /// <summary>
    /// For a refusal by the API server: <c>Error from server (Reason): message</c>, the reason and message of the
    /// <c>Status</c> object it answered with (or the HTTP status when the body is not a Status).
    /// </summary>
    public static string Describe(HttpOperationException exception)
    {
        var status = TryReadStatus(exception.Response?.Content);
        var code = exception.Response?.StatusCode is { } statusCode ? ((int)statusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        if (status?.Message is { Length: > 0 } message)
        {
            return $"Error from server ({(string.IsNullOrEmpty(status.Reason) ? code : status.Reason)}): {message}";
        }

        var body = exception.Response?.Content?.Trim();
        return $"Error from server (HTTP {code}): {(string.IsNullOrEmpty(body) ? exception.Message : OneLine(body))}";
    }

    /// <summary>A watch ended with an error event: its Status message.</summary>
    public static string Describe(KubernetesException exception) =>
        exception.Status?.Message is { Length: > 0 } message ? $"Error from server ({exception.Status.Reason}): {message}" : exception.Message;

    private static V1Status? TryReadStatus(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            return KubernetesJson.Deserialize<V1Status>(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
