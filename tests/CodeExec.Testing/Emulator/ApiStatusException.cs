using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// A request the emulator refuses, carried up to the HTTP layer and written as a Kubernetes <c>kind: Status</c> body
/// with the same reason, code and details a real API server sends.
/// </summary>
internal sealed class ApiStatusException(int code, string reason, string message, JsonObject? details = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public JsonObject ToStatus() => StatusBody(Code, Reason, Message, Details);

    public static JsonObject StatusBody(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
        };
        if (reason.Length > 0)
        {
            status["reason"] = reason; // errors that are not API errors (etcd's) carry none
        }

        if (details is not null)
        {
            status["details"] = details.DeepClone();
        }

        status["code"] = code;
        return status;
    }

    private static JsonObject DetailsOf(ResourceType type, string? name)
    {
        var details = new JsonObject();
        if (name is not null)
        {
            details["name"] = name;
        }

        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }

    public static ApiStatusException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedName} \"{name}\" not found", DetailsOf(type, name));

    public static ApiStatusException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedName} \"{name}\" already exists", DetailsOf(type, name));

    public static ApiStatusException Conflict(ResourceType type, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedName} \"{name}\": {why}", DetailsOf(type, name));

    public static ApiStatusException StaleResourceVersion(ResourceType type, string name) =>
        Conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");

    /// <summary>422 Invalid with one cause per field error, as field.ErrorList is reported.</summary>
    public static ApiStatusException Invalid(ResourceType type, string name, params (string Field, string Type, string Message)[] causes)
    {
        var details = DetailsOf(type, name);
        details["kind"] = type.Kind;
        var list = new JsonArray();
        foreach (var (field, causeType, message) in causes)
        {
            list.Add(new JsonObject { ["reason"] = causeType, ["message"] = message, ["field"] = field });
        }

        details["causes"] = list;
        var text = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var summary = causes.Length == 1 ? text : "[" + text + "]";
        return new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {summary}", details);
    }

    /// <summary>
    /// 422 Invalid from a field error list, as <c>errors.NewInvalid</c> builds it: the group-qualified kind
    /// (<c>NetworkPolicy.networking.k8s.io</c>), one cause per error (no <c>field</c> for the empty path), and the
    /// message from the de-duplicated errors.
    /// </summary>
    public static ApiStatusException Invalid(ResourceType type, string name, IReadOnlyList<Validation.MetaFieldError> errors)
    {
        var details = new JsonObject();
        if (name.Length > 0)
        {
            details["name"] = name;
        }

        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        var causes = new JsonArray();
        foreach (var error in errors)
        {
            var cause = new JsonObject { ["reason"] = error.Type, ["message"] = error.Body };
            if (error.Field.Length > 0)
            {
                cause["field"] = error.Field;
            }

            causes.Add(cause);
        }

        details["causes"] = causes;
        var distinct = errors.Select(e => e.ToString()).Distinct().ToList();
        var text = string.Join(", ", distinct);
        var summary = distinct.Count == 1 ? text : "[" + text + "]";
        var kind = type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group;
        return new(422, "Invalid", $"{kind} \"{name}\" is invalid: {summary}", details);
    }

    public static ApiStatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiStatusException Gone(string message) => new(410, "Expired", message);

    public static ApiStatusException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiStatusException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

}
