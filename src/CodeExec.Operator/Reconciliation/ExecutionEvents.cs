using System.Globalization;
using CodeExec.Api;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace CodeExec.Operator.Reconciliation;

/// <summary>The reasons of the Events the operator records on a CodeExecution.</summary>
internal static class ExecutionEventReasons
{
    public const string Created = "Created";
    public const string Started = "Started";
    public const string Queued = "Queued";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string TimedOut = "TimedOut";
    public const string Rejected = "Rejected";
    public const string OutputTruncated = "OutputTruncated";
}

/// <summary>
/// Records Kubernetes Events on CodeExecutions. Each (execution, reason) pair has a deterministic Event name, so a
/// reconcile repeated after a crash or a conflict records it once, not twice. Recording is best effort: a failure is
/// logged and never fails the reconcile.
/// </summary>
internal sealed class ExecutionEvents(IOperatorApi api, TimeProvider time, ILogger<ExecutionEvents> logger)
{
    public const string Component = "codeexec-operator";

    /// <summary>Longest object name (a DNS subdomain).</summary>
    public const int MaxNameLength = 253;

    /// <summary>
    /// <c>&lt;execution&gt;.&lt;uid8&gt;.&lt;reason&gt;</c>, the execution's name cut short when the whole would pass 253
    /// characters (the UID part keeps it distinct).
    /// </summary>
    public static string EventName(string executionName, string uid, string reason)
    {
        ArgumentNullException.ThrowIfNull(executionName);
        ArgumentNullException.ThrowIfNull(uid);
        ArgumentNullException.ThrowIfNull(reason);
        var tail = string.Create(CultureInfo.InvariantCulture, $".{(uid.Length >= 8 ? uid[..8] : uid)}.{reason.ToLowerInvariant()}");
        var keep = Math.Max(0, MaxNameLength - tail.Length);
        var head = executionName.Length > keep ? executionName[..keep].TrimEnd('-', '.') : executionName;
        return head + tail;
    }

    public async Task RecordAsync(CodeExecution execution, string reason, string message, bool warning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var metadata = execution.Metadata;
        var now = time.GetUtcNow().UtcDateTime;
        var uid = metadata.Uid ?? "";
        var name = EventName(metadata.Name ?? "", uid, reason);
        var @event = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = metadata.NamespaceProperty },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = ApiConstants.ApiVersion,
                Kind = ApiConstants.CodeExecutionKind,
                Name = metadata.Name,
                NamespaceProperty = metadata.NamespaceProperty,
                Uid = metadata.Uid,
                ResourceVersion = metadata.ResourceVersion,
            },
            Reason = reason,
            Message = message.Length > 1024 ? message[..1021] + "..." : message,
            Type = warning ? "Warning" : "Normal",
            Source = new V1EventSource { Component = Component },
            ReportingComponent = Component,
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };

        try
        {
            await api.CreateEventAsync(@event, metadata.NamespaceProperty, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Already recorded by an earlier attempt of the same transition.
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            logger.LogWarning(e, "could not record event {Reason} on {Namespace}/{Name}", reason, metadata.NamespaceProperty, metadata.Name);
        }
    }
}
