using System.Text.Json;
using k8s;
using k8s.Models;

namespace CodeExec.Operator.Controller.Watching;

/// <summary>The kinds of line a watch stream carries.</summary>
internal enum WatchEventKind
{
    Added,
    Modified,
    Deleted,
    /// <summary>Carries only a newer resourceVersion to resume from (requested with allowWatchBookmarks).</summary>
    Bookmark,
    /// <summary>Carries a Status; code 410 means the resourceVersion is too old and the kind must be listed again.</summary>
    Error,
}

/// <summary>One parsed line of a watch stream: an object event, a bookmark, or an error status.</summary>
internal sealed record WatchEventLine<TEntity>(WatchEventKind Kind, TEntity? Entity, string? ResourceVersion, V1Status? Status)
    where TEntity : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>True for an ERROR event whose status is 410 Gone (the resourceVersion expired).</summary>
    public bool IsExpired => Kind == WatchEventKind.Error && Status?.Code == 410;

    /// <summary>Parses one line of a watch stream. Throws <see cref="FormatException"/> on a line that is not a watch event.</summary>
    public static WatchEventLine<TEntity> Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var type = root.GetProperty("type").GetString();
            var raw = root.GetProperty("object").GetRawText();
            switch (type)
            {
                case "ADDED":
                case "MODIFIED":
                case "DELETED":
                    var entity = KubernetesJson.Deserialize<TEntity>(raw)
                        ?? throw new FormatException("watch event without an object");
                    var kind = type switch
                    {
                        "ADDED" => WatchEventKind.Added,
                        "MODIFIED" => WatchEventKind.Modified,
                        _ => WatchEventKind.Deleted,
                    };
                    return new WatchEventLine<TEntity>(kind, entity, entity.Metadata?.ResourceVersion, null);
                case "BOOKMARK":
                    var version = root.GetProperty("object").TryGetProperty("metadata", out var metadata)
                        && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
                    return new WatchEventLine<TEntity>(WatchEventKind.Bookmark, null, version, null);
                case "ERROR":
                    return new WatchEventLine<TEntity>(WatchEventKind.Error, null, null, KubernetesJson.Deserialize<V1Status>(raw));
                default:
                    throw new FormatException($"unknown watch event type '{type}'");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"not a watch event: {e.Message}", e);
        }
    }
}
