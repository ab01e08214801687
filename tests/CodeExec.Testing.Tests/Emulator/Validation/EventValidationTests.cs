using System.Text.Json.Nodes;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>pkg/apis/core/validation/events.go, through core/v1 and events.k8s.io/v1, as kube-apiserver answers it.</summary>
public sealed class EventValidationTests : ValidationTest
{
    private const string EventsKind = "Event.events.k8s.io";

    private static string V1Event(string extra = "") => $$"""
        {"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z","type":"Normal","reason":"Started","action":"Run",
         "reportingController":"codeexec.dev/operator","reportingInstance":"pod-1","regarding":{"kind":"Pod","name":"p","namespace":"default"}{{extra}}}
        """;

    [Fact]
    public async Task LegacyValidateEvent_requires_the_involved_object_in_the_event_namespace()
    {
        var answer = await CreateAsync(CoreEvents, """{"metadata":{"name":"e"},"involvedObject":{"name":"p","namespace":"other"},"reason":"R"}""");

        AssertOnlyError(answer, "Event", "e", "involvedObject.namespace", "Invalid value: \"other\": does not match event.namespace");
        await CreateValidAsync(CoreEvents, """{"metadata":{"name":"e"},"involvedObject":{"name":"p","namespace":"default"},"reason":"R"}""");
    }

    [Fact]
    public async Task LegacyValidateEvent_allows_an_empty_involved_namespace_only_in_default()
    {
        await CreateValidAsync("/api/v1/namespaces", """{"metadata":{"name":"team"}}""");

        var answer = await CreateAsync("/api/v1/namespaces/team/events", """{"metadata":{"name":"e"},"involvedObject":{"name":"node-1"},"reason":"R"}""");

        AssertOnlyError(answer, "Event", "e", "involvedObject.namespace", "Invalid value: \"\": does not match event.namespace");
        await CreateValidAsync(CoreEvents, """{"metadata":{"name":"e"},"involvedObject":{"name":"node-1"},"reason":"R"}""");
    }

    [Fact]
    public async Task LegacyValidateEvent_requires_reporting_fields_once_eventTime_is_set()
    {
        var answer = await CreateAsync(CoreEvents, """{"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z","involvedObject":{"name":"p","namespace":"default"}}""");

        AssertInvalid(answer, "Event", "e", "reportingController", "Required value", "FieldValueRequired");
        AssertInvalid(answer, "Event", "e", "reportingInstance", "Required value", "FieldValueRequired");
        AssertInvalid(answer, "Event", "e", "action", "Required value", "FieldValueRequired");
        AssertInvalid(answer, "Event", "e", "reason", "Required value", "FieldValueRequired");
        await CreateValidAsync(CoreEvents, """
            {"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z","involvedObject":{"name":"p","namespace":"default"},
             "reportingComponent":"codeexec-operator","reportingInstance":"pod-1","action":"Run","reason":"Started"}
            """);
    }

    [Fact]
    public async Task LegacyValidateEvent_bounds_reason_action_and_note()
    {
        var answer = await CreateAsync(Events, V1Event(",\"note\":\"" + new string('n', 1025) + "\"").Replace("\"Started\"", $"\"{new string('r', 129)}\"", StringComparison.Ordinal));

        AssertInvalid(answer, EventsKind, "e", "reason", "Invalid value: \"\": can have at most 128 characters");
        AssertInvalid(answer, EventsKind, "e", "message", "Invalid value: \"\": can have at most 1024 characters");
        await CreateValidAsync(Events, V1Event(",\"note\":\"" + new string('n', 1024) + "\"").Replace("\"Started\"", $"\"{new string('r', 128)}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidateEventCreate_requires_type_Normal_or_Warning_for_events_v1()
    {
        var answer = await CreateAsync(Events, V1Event().Replace("\"Normal\"", "\"Info\"", StringComparison.Ordinal));

        AssertOnlyError(answer, EventsKind, "e", "type", "Invalid value: \"\": has invalid value: Info");
        await CreateValidAsync(Events, V1Event().Replace("\"Normal\"", "\"Warning\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ValidateEventCreate_requires_eventTime_for_events_v1()
    {
        var body = JsonNode.Parse(V1Event())!.AsObject();
        body.Remove("eventTime");

        var answer = await SendAsync(HttpMethod.Post, Events, body);

        AssertInvalid(answer, EventsKind, "e", "eventTime", "Required value", "FieldValueRequired");
    }

    [Fact]
    public async Task ValidateEventCreate_refuses_the_deprecated_fields_for_events_v1()
    {
        var answer = await CreateAsync(Events, V1Event("""
            ,"deprecatedCount":3,"deprecatedFirstTimestamp":"2026-01-01T00:00:00Z","deprecatedSource":{"component":"x"}
            """));

        AssertInvalid(answer, EventsKind, "e", "count", "Invalid value: \"\": needs to be unset");
        AssertInvalid(answer, EventsKind, "e", "firstTimestamp", "Invalid value: \"\": needs to be unset");
        AssertInvalid(answer, EventsKind, "e", "source", "Invalid value: \"\": needs to be unset");
    }

    [Fact]
    public async Task ValidateEventCreate_requires_a_qualified_reportingController()
    {
        AssertOnlyError(await CreateAsync(Events, V1Event().Replace("codeexec.dev/operator", "bad controller", StringComparison.Ordinal)), EventsKind, "e",
            "reportingController", "Invalid value: \"bad controller\": " + NamePartMessage);
    }

    [Fact]
    public async Task ValidateV1EventSeries_needs_count_of_two_and_lastObservedTime()
    {
        var answer = await CreateAsync(Events, V1Event("""
            ,"series":{"count":1}
            """));

        AssertInvalid(answer, EventsKind, "e", "series.count", "Invalid value: \"\": should be at least 2");
        AssertInvalid(answer, EventsKind, "e", "series.lastObservedTime", "Required value", "FieldValueRequired");
        await CreateValidAsync(Events, V1Event("""
            ,"series":{"count":2,"lastObservedTime":"2026-01-01T00:00:01.000000Z"}
            """));
    }

    [Fact]
    public async Task ValidateEventUpdate_keeps_events_v1_fields_immutable()
    {
        await CreateValidAsync(Events, V1Event("""
            ,"note":"first"
            """));

        var answer = await ReplaceAsync(Events, "e", o => o["note"] = "second");

        AssertOnlyError(answer, EventsKind, "e", "message", "Invalid value: \"second\": field is immutable");
        AssertOk(await ReplaceAsync(Events, "e", o => o["series"] = new JsonObject { ["count"] = 2, ["lastObservedTime"] = "2026-01-01T00:00:02.000000Z" }));
    }

    [Fact]
    public async Task ValidateEventUpdate_lets_core_v1_events_count_up()
    {
        await CreateValidAsync(CoreEvents, """{"metadata":{"name":"e"},"involvedObject":{"name":"p","namespace":"default"},"reason":"R","count":1}""");

        AssertOk(await ReplaceAsync(CoreEvents, "e", o => { o["count"] = 2; o["message"] = "again"; }));
        AssertOnlyError(await ReplaceAsync(CoreEvents, "e", o => o["involvedObject"]!["namespace"] = "other"), "Event", "e",
            "involvedObject.namespace", "Invalid value: \"other\": does not match event.namespace");
    }
}
