using System.Net;
using System.Text.Json;
using CodeExec.Api;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>A child the ensure step settled: the object in place (ours) and whether this attempt created it, or why not.</summary>
internal sealed record EnsuredChild(IKubernetesObject<V1ObjectMeta>? Child, bool Created, ChildRefusal? Refusal);

/// <summary>
/// Why a child can never be created, so the execution ends instead of retrying: a reason for status (PodRejected,
/// ChildRejected, QuotaExceeded, NameConflict) and a message that quotes the API server.
/// </summary>
internal sealed record ChildRefusal(string Reason, string Message)
{
    /// <summary>Most characters of the API server's message kept in status.message.</summary>
    public const int MaxQuotedLength = 1024;

    /// <summary>
    /// True for a refusal no retry can change: any 4xx but 401 (our credentials, renewed), 408 (a timeout), 409 (an
    /// existing object, which the ensure step reads) and 429 (throttling). 5xx are retried.
    /// </summary>
    public static bool IsFinal(HttpStatusCode code) =>
        (int)code is >= 400 and < 500
        && code is not (HttpStatusCode.Unauthorized or HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests);

    /// <summary>
    /// The refusal of creating <paramref name="kind"/> <paramref name="name"/>: QuotaExceeded when a 403's message says
    /// "exceeded quota" or "failed quota" (the ResourceQuota admission plugin's words), else PodRejected for the Pod
    /// and ChildRejected for the NetworkPolicy and the code object.
    /// </summary>
    public static ChildRefusal From(bool isPod, string kind, string? name, HttpOperationException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var code = error.Response.StatusCode;
        var (apiReason, apiMessage) = ParseStatus(error.Response.Content);
        apiMessage ??= error.Response.ReasonPhrase ?? error.Message;
        if (apiMessage.Length > MaxQuotedLength)
        {
            apiMessage = apiMessage[..(MaxQuotedLength - 3)] + "...";
        }

        var reason = code == HttpStatusCode.Forbidden && IsQuota(apiMessage)
            ? ExecutionReason.QuotaExceeded
            : isPod ? ExecutionReason.PodRejected : ExecutionReason.ChildRejected;
        var message = $"the API server refused to create {kind} {name} ({(int)code} {apiReason ?? error.Response.ReasonPhrase}): {apiMessage}";
        return new ChildRefusal(reason, message);
    }

    /// <summary>True for the ResourceQuota plugin's refusals: <c>... is forbidden: exceeded quota: ...</c> or <c>failed quota: ...</c>.</summary>
    public static bool IsQuota(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string Forbidden = "is forbidden: ";
        var at = message.IndexOf(Forbidden, StringComparison.Ordinal);
        var tail = at >= 0 ? message[(at + Forbidden.Length)..] : message;
        return tail.StartsWith("exceeded quota", StringComparison.Ordinal) || tail.StartsWith("failed quota", StringComparison.Ordinal);
    }

    private static (string? Reason, string? Message) ParseStatus(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (Text(root, "reason"), Text(root, "message"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Text(JsonElement root, string property) =>
        root.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
