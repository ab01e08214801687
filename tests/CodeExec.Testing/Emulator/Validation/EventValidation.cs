using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// Event validation of <c>pkg/apis/core/validation/events.go</c>: <c>ValidateEventCreate</c>,
/// <c>ValidateEventUpdate</c>, <c>legacyValidateEvent</c> and <c>validateV1EventSeries</c>. Both APIs are read into
/// the internal Event's fields, whose names the errors carry (as upstream: <c>involvedObject</c>, <c>message</c>,
/// <c>reportingController</c> also for events.k8s.io/v1); core/v1 writes get only the legacy rules,
/// events.k8s.io/v1 writes the strict ones too.
/// </summary>
internal static class EventValidation
{
    public const int ReportingInstanceLengthLimit = 128;
    public const int ActionLengthLimit = 128;
    public const int ReasonLengthLimit = 128;
    public const int NoteLengthLimit = 1024;

    /// <summary>The fields of the internal core.Event that validation reads, from either API's JSON.</summary>
    private sealed record InternalEvent(
        string Namespace,
        JsonNode? InvolvedObject,
        string InvolvedNamespace,
        string Reason,
        string Message,
        JsonNode? Source,
        JsonNode? FirstTimestamp,
        JsonNode? LastTimestamp,
        long Count,
        string Type,
        JsonNode? EventTime,
        JsonObject? Series,
        string Action,
        JsonNode? Related,
        string ReportingController,
        string ReportingInstance)
    {
        public bool HasEventTime => EventTime is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0;

        public static InternalEvent From(JsonObject obj, bool eventsApi)
        {
            string S(string key) => ObjectMeta.GetString(obj, key) ?? "";
            var involved = obj[eventsApi ? "regarding" : "involvedObject"];
            return new InternalEvent(
                ObjectMeta.GetString(obj["metadata"] as JsonObject, "namespace") ?? "",
                involved,
                ObjectMeta.GetString(involved as JsonObject, "namespace") ?? "",
                S("reason"),
                S(eventsApi ? "note" : "message"),
                obj[eventsApi ? "deprecatedSource" : "source"],
                obj[eventsApi ? "deprecatedFirstTimestamp" : "firstTimestamp"],
                obj[eventsApi ? "deprecatedLastTimestamp" : "lastTimestamp"],
                ObjectMeta.GetLong(obj, eventsApi ? "deprecatedCount" : "count") ?? 0,
                S("type"),
                obj["eventTime"],
                obj["series"] as JsonObject,
                S("action"),
                obj["related"],
                S(eventsApi ? "reportingController" : "reportingComponent"),
                S("reportingInstance"));
        }
    }

    /// <summary>ValidateEventCreate for a write through core/v1 (<paramref name="eventsApi"/> false) or events.k8s.io/v1.</summary>
    public static List<MetaFieldError> ValidateEventCreate(JsonObject obj, bool eventsApi)
    {
        var internalEvent = InternalEvent.From(obj, eventsApi);
        var errors = LegacyValidateEvent(internalEvent);
        if (!eventsApi)
        {
            return errors;
        }

        errors.AddRange(ObjectMetaValidation.ValidateObjectMeta(obj, true, Content.NameIsDnsSubdomain, kubeFinalizers: true));
        errors.AddRange(ValidateV1EventSeries(internalEvent));
        if (!internalEvent.HasEventTime)
        {
            errors.Add(FieldErrors.Required("eventTime", ""));
        }

        if (internalEvent.Type is not ("Normal" or "Warning"))
        {
            errors.Add(FieldErrors.Invalid("type", "", "has invalid value: " + internalEvent.Type));
        }

        if (IsSet(internalEvent.FirstTimestamp))
        {
            errors.Add(FieldErrors.Invalid("firstTimestamp", "", "needs to be unset"));
        }

        if (IsSet(internalEvent.LastTimestamp))
        {
            errors.Add(FieldErrors.Invalid("lastTimestamp", "", "needs to be unset"));
        }

        if (internalEvent.Count != 0)
        {
            errors.Add(FieldErrors.Invalid("count", "", "needs to be unset"));
        }

        if (internalEvent.Source is JsonObject source
            && (!string.IsNullOrEmpty(ObjectMeta.GetString(source, "component")) || !string.IsNullOrEmpty(ObjectMeta.GetString(source, "host"))))
        {
            errors.Add(FieldErrors.Invalid("source", "", "needs to be unset"));
        }

        return errors;
    }

    /// <summary>ValidateEventUpdate: the legacy rules, and for events.k8s.io/v1 metadata and the immutable fields.</summary>
    public static List<MetaFieldError> ValidateEventUpdate(JsonObject next, JsonObject old, bool eventsApi)
    {
        var newEvent = InternalEvent.From(next, eventsApi);
        var errors = LegacyValidateEvent(newEvent);
        if (!eventsApi)
        {
            return errors;
        }

        var oldEvent = InternalEvent.From(old, eventsApi);
        errors.AddRange(ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true));
        if (!JsonNode.DeepEquals(newEvent.Series, oldEvent.Series))
        {
            errors.AddRange(ValidateV1EventSeries(newEvent));
        }

        void Immutable(string field, JsonNode? a, JsonNode? b)
        {
            if (!JsonNode.DeepEquals(a, b))
            {
                errors.Add(FieldErrors.Immutable(field, a is JsonValue value && value.TryGetValue<string>(out var text) ? text : new RawValue(a?.ToJsonString() ?? "null")));
            }
        }

        Immutable("involvedObject", newEvent.InvolvedObject, oldEvent.InvolvedObject);
        Immutable("reason", newEvent.Reason, oldEvent.Reason);
        Immutable("message", newEvent.Message, oldEvent.Message);
        Immutable("source", newEvent.Source, oldEvent.Source);
        Immutable("firstTimestamp", newEvent.FirstTimestamp, oldEvent.FirstTimestamp);
        Immutable("lastTimestamp", newEvent.LastTimestamp, oldEvent.LastTimestamp);
        Immutable("count", newEvent.Count, oldEvent.Count);
        Immutable("reason", newEvent.Reason, oldEvent.Reason);
        Immutable("type", newEvent.Type, oldEvent.Type);
        Immutable("eventTime", newEvent.EventTime, oldEvent.EventTime);
        Immutable("action", newEvent.Action, oldEvent.Action);
        Immutable("related", newEvent.Related, oldEvent.Related);
        Immutable("reportingController", newEvent.ReportingController, oldEvent.ReportingController);
        Immutable("reportingInstance", newEvent.ReportingInstance, oldEvent.ReportingInstance);
        return errors;
    }

    /// <summary>
    /// legacyValidateEvent: without eventTime, the involved object's namespace matches the event's (or is empty in
    /// <c>default</c>); with it, reportingController, reportingInstance, action and reason are required and bounded,
    /// and the message at most 1024 characters.
    /// </summary>
    private static List<MetaFieldError> LegacyValidateEvent(InternalEvent e)
    {
        var errors = new List<MetaFieldError>();
        if (!e.HasEventTime)
        {
            var mismatch = e.InvolvedNamespace.Length == 0 ? e.Namespace is not ("" or "default") : e.Namespace != e.InvolvedNamespace;
            if (mismatch)
            {
                errors.Add(FieldErrors.Invalid("involvedObject.namespace", e.InvolvedNamespace, "does not match event.namespace"));
            }
        }
        else
        {
            if (e.InvolvedNamespace.Length == 0 && e.Namespace is not ("default" or "kube-system"))
            {
                errors.Add(FieldErrors.Invalid("involvedObject.namespace", e.InvolvedNamespace, "does not match event.namespace"));
            }

            if (e.ReportingController.Length == 0)
            {
                errors.Add(FieldErrors.Required("reportingController", ""));
            }

            errors.AddRange(Content.IsQualifiedName(e.ReportingController).Select(m => FieldErrors.Invalid("reportingController", e.ReportingController, m)));
            if (e.ReportingInstance.Length == 0)
            {
                errors.Add(FieldErrors.Required("reportingInstance", ""));
            }

            if (Content.ByteLength(e.ReportingInstance) > ReportingInstanceLengthLimit)
            {
                errors.Add(FieldErrors.Invalid("reportingInstance", "", $"can have at most {ReportingInstanceLengthLimit} characters"));
            }

            if (e.Action.Length == 0)
            {
                errors.Add(FieldErrors.Required("action", ""));
            }

            if (Content.ByteLength(e.Action) > ActionLengthLimit)
            {
                errors.Add(FieldErrors.Invalid("action", "", $"can have at most {ActionLengthLimit} characters"));
            }

            if (e.Reason.Length == 0)
            {
                errors.Add(FieldErrors.Required("reason", ""));
            }

            if (Content.ByteLength(e.Reason) > ReasonLengthLimit)
            {
                errors.Add(FieldErrors.Invalid("reason", "", $"can have at most {ReasonLengthLimit} characters"));
            }

            if (Content.ByteLength(e.Message) > NoteLengthLimit)
            {
                errors.Add(FieldErrors.Invalid("message", "", $"can have at most {NoteLengthLimit} characters"));
            }
        }

        errors.AddRange(Content.IsDns1123Subdomain(e.Namespace).Select(m => FieldErrors.Invalid("namespace", e.Namespace, m)));
        return errors;
    }

    /// <summary>validateV1EventSeries: a series counts at least 2 and has lastObservedTime.</summary>
    private static List<MetaFieldError> ValidateV1EventSeries(InternalEvent e)
    {
        var errors = new List<MetaFieldError>();
        if (e.Series is { } series)
        {
            if ((ObjectMeta.GetLong(series, "count") ?? 0) < 2)
            {
                errors.Add(FieldErrors.Invalid("series.count", "", "should be at least 2"));
            }

            if (!IsSet(series["lastObservedTime"]))
            {
                errors.Add(FieldErrors.Required("series.lastObservedTime", ""));
            }
        }

        return errors;
    }

    private static bool IsSet(JsonNode? time) => time is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0;
}
