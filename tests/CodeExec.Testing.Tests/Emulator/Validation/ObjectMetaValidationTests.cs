using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>ObjectMeta rules of apimachinery's objectmeta.go and meta/v1 validation, as kube-apiserver answers them.</summary>
public sealed class ObjectMetaValidationTests : ValidationTest
{
    private static string ConfigMap(string metadata) => "{\"metadata\":{" + metadata + "},\"data\":{\"a\":\"b\"}}";

    [Fact]
    public async Task NameIsDNSSubdomain_refuses_an_uppercase_name_and_accepts_a_subdomain()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"Bad_Name\""));

        AssertOnlyError(answer, "ConfigMap", "Bad_Name", "metadata.name", "Invalid value: \"Bad_Name\": " + SubdomainMessage);
        Assert.Equal("ConfigMap", answer.Body["details"]!["kind"]!.GetValue<string>());
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"good.name-1\""));
    }

    [Fact]
    public async Task IsDNS1123Subdomain_refuses_a_name_over_253_characters()
    {
        var name = new string('a', 254);
        AssertInvalid(await CreateAsync(ConfigMaps, ConfigMap($"\"name\":\"{name}\"")), "ConfigMap", name, "metadata.name",
            $"Invalid value: \"{name}\": must be no more than 253 characters");
        await CreateValidAsync(ConfigMaps, ConfigMap($"\"name\":\"{new string('a', 253)}\""));
    }

    [Fact]
    public async Task ValidateObjectMetaAccessor_requires_name_or_generateName()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"labels\":{\"a\":\"b\"}"));

        AssertOnlyError(answer, "ConfigMap", "", "metadata.name", "Required value: name or generateName is required", "FieldValueRequired");
        Assert.Null(answer.Body["details"]!["name"]);
    }

    [Fact]
    public async Task ValidateObjectMetaAccessor_checks_generateName_as_a_prefix()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"generateName\":\"Bad-\""));

        AssertInvalid(answer, "ConfigMap", answer.Body["details"]!["name"]!.GetValue<string>(), "metadata.generateName",
            "Invalid value: \"Bad-\": " + SubdomainMessage);
        var created = await CreateValidAsync(ConfigMaps, ConfigMap("\"generateName\":\"ok-\""));
        Assert.StartsWith("ok-", created["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimpleNameGenerator_cuts_a_long_generateName_to_58_characters()
    {
        var created = await CreateValidAsync(ConfigMaps, ConfigMap($"\"generateName\":\"{new string('a', 70)}-\""));

        var name = created["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal(63, name.Length);
        Assert.StartsWith(new string('a', 58), name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateNamespaceName_requires_a_DNS_label()
    {
        var answer = await CreateAsync("/api/v1/namespaces", """{"metadata":{"name":"a.b"}}""");

        AssertOnlyError(answer, "Namespace", "a.b", "metadata.name", "Invalid value: \"a.b\": must not contain dots");
        await CreateValidAsync("/api/v1/namespaces", """{"metadata":{"name":"team-a"}}""");
    }

    [Fact]
    public async Task ValidatePathSegmentName_is_the_only_name_rule_of_core_v1_events()
    {
        var answer = await CreateAsync(CoreEvents, """{"metadata":{"name":"a%b"},"involvedObject":{"name":"p"},"reason":"R"}""");

        AssertOnlyError(answer, "Event", "a%b", "metadata.name", "Invalid value: \"a%b\": may not contain '%'");
        await CreateValidAsync(CoreEvents, """{"metadata":{"name":"Pod_A.123"},"involvedObject":{"name":"p"},"reason":"R"}""");
    }

    [Fact]
    public async Task CustomResourceValidator_requires_DNS_subdomain_names_and_qualifies_the_kind()
    {
        const string path = "/apis/codeexec.dev/v1alpha1/namespaces/default/codeexecutions";
        var answer = await CreateAsync(path, """{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"name":"Bad_Name"},"spec":{"runtime":"python","code":"1"}}""");

        AssertOnlyError(answer, "CodeExecution.codeexec.dev", "Bad_Name", "metadata.name", "Invalid value: \"Bad_Name\": " + SubdomainMessage);
        Assert.Equal("codeexec.dev", answer.Body["details"]!["group"]!.GetValue<string>());
        await CreateValidAsync(path, """{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"name":"ok","finalizers":["custom"]},"spec":{"runtime":"python","code":"1"}}""");
    }

    [Fact]
    public async Task ValidateLabels_requires_qualified_keys()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"labels\":{\"-bad\":\"v\"}"));

        AssertOnlyError(answer, "ConfigMap", "c", "metadata.labels", "Invalid value: \"-bad\": " + NamePartMessage);
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"labels\":{\"example.com/Good_Key\":\"v\"}"));
    }

    [Fact]
    public async Task ValidateLabels_allows_values_of_at_most_63_characters()
    {
        var value = new string('v', 64);
        AssertInvalid(await CreateAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"labels\":{{\"k\":\"{value}\"}}")), "ConfigMap", "c", "metadata.labels",
            $"Invalid value: \"{value}\": must be no more than 63 characters");
        AssertInvalid(await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"labels\":{\"k\":\"a b\"}")), "ConfigMap", "c", "metadata.labels",
            "Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
        await CreateValidAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"labels\":{{\"k\":\"{value[1..]}\",\"empty\":\"\"}}"));
    }

    [Fact]
    public async Task ValidateAnnotations_limits_the_total_to_TotalAnnotationSizeLimitB()
    {
        var tooBig = new string('x', (256 * 1024) - 1 + 1);
        var answer = await CreateAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"annotations\":{{\"k\":\"{tooBig}\"}}"));

        AssertOnlyError(answer, "ConfigMap", "c", "metadata.annotations", "Too long: must have at most 262144 bytes", "FieldValueTooLong");
        await CreateValidAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"annotations\":{{\"k\":\"{tooBig[1..]}\"}}"));
    }

    [Fact]
    public async Task ValidateAnnotations_requires_qualified_keys_in_any_case()
    {
        AssertOnlyError(await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"annotations\":{\"a b\":\"v\"}")), "ConfigMap", "c", "metadata.annotations",
            "Invalid value: \"a b\": " + NamePartMessage);
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"annotations\":{\"Example.COM/Key\":\"v\"}"));
    }

    [Fact]
    public async Task ValidateOwnerReferences_requires_apiVersion_kind_name_and_uid()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"ownerReferences\":[{\"apiVersion\":\"\",\"kind\":\"\",\"name\":\"\",\"uid\":\"\"}]"));

        AssertInvalid(answer, "ConfigMap", "c", "metadata.ownerReferences.apiVersion", "Invalid value: \"\": version must not be empty");
        AssertInvalid(answer, "ConfigMap", "c", "metadata.ownerReferences.kind", "Invalid value: \"\": must not be empty");
        AssertInvalid(answer, "ConfigMap", "c", "metadata.ownerReferences.name", "Invalid value: \"\": must not be empty");
        AssertInvalid(answer, "ConfigMap", "c", "metadata.ownerReferences.uid", "Invalid value: \"\": must not be empty");
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\",\"uid\":\"u-1\"}]"));
    }

    [Fact]
    public async Task ValidateOwnerReferences_allows_one_controller()
    {
        const string two = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"a\",\"uid\":\"1\",\"controller\":true},{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"b\",\"uid\":\"2\",\"controller\":true}";
        var answer = await CreateAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"ownerReferences\":[{two}]"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
        var cause = Assert.Single(answer.Body["details"]!["causes"]!.AsArray());
        Assert.Equal("metadata.ownerReferences", cause!["field"]!.GetValue<string>());
        Assert.EndsWith(": Only one reference can have Controller set to true. Found \"true\" in references for Pod/a and Pod/b", cause["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await CreateValidAsync(ConfigMaps, ConfigMap($"\"name\":\"c\",\"ownerReferences\":[{two.Replace("true}", "false}", StringComparison.Ordinal)}]"));
    }

    [Fact]
    public async Task ValidateOwnerReferences_refuses_a_core_event_as_owner()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"1\"}]"));

        var cause = Assert.Single(answer.Body["details"]!["causes"]!.AsArray());
        Assert.EndsWith(": /v1, Kind=Event is disallowed from being an owner", cause!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"ownerReferences\":[{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"1\"}]"));
    }

    [Fact]
    public async Task ValidateFinalizers_refuses_orphan_with_foregroundDeletion()
    {
        AssertOnlyError(await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"orphan\",\"foregroundDeletion\"]")), "ConfigMap", "c", "metadata.finalizers",
            "Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set");
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"orphan\"]"));
    }

    [Fact]
    public async Task ValidateFinalizerName_requires_qualified_names()
    {
        AssertInvalid(await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"a b/c\"]")), "ConfigMap", "c", "metadata.finalizers",
            "Invalid value: \"a b/c\": prefix part " + SubdomainMessage);
    }

    [Fact]
    public async Task ValidateKubeFinalizerName_requires_core_kinds_finalizers_to_be_standard_or_fully_qualified()
    {
        AssertOnlyError(await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"custom\"]")), "ConfigMap", "c", "metadata.finalizers[0]",
            "Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified");
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"example.com/custom\",\"kubernetes\"]"));
    }

    [Fact]
    public async Task ValidateObjectMetaUpdate_keeps_uid_immutable()
    {
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\""));

        var answer = await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["uid"] = "other-uid");

        AssertInvalid(answer, "ConfigMap", "c", "metadata.uid", "Invalid value: \"other-uid\": field is immutable");
        AssertOk(await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!.AsObject().Remove("uid")));
    }

    [Fact]
    public async Task ValidateObjectMetaUpdate_keeps_deletionTimestamp_for_the_server_to_set()
    {
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\""));

        var answer = await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["deletionTimestamp"] = "2030-01-01T00:00:00Z");

        AssertInvalid(answer, "ConfigMap", "c", "metadata.deletionTimestamp", "Invalid value: 2030-01-01 00:00:00 +0000 UTC: field is immutable");
    }

    [Fact]
    public async Task ValidateObjectMetaUpdate_validates_the_new_labels()
    {
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\""));

        var answer = await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["labels"] = new JsonObject { ["-bad"] = "v" });

        AssertInvalid(answer, "ConfigMap", "c", "metadata.labels", "Invalid value: \"-bad\": " + NamePartMessage);
        Assert.Equal($"ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"-bad\": {NamePartMessage}", answer.Body["message"]!.GetValue<string>());
        AssertOk(await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["labels"] = new JsonObject { ["good"] = "v" }));
    }

    [Fact]
    public async Task ValidateNoNewFinalizers_while_the_object_is_being_deleted()
    {
        await CreateValidAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"finalizers\":[\"example.com/a\"]"));
        await SendAsync(HttpMethod.Delete, ConfigMaps + "/c", null);

        var answer = await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["finalizers"]!.AsArray().Add("example.com/b"));

        AssertInvalid(answer, "ConfigMap", "c", "metadata.finalizers",
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/b\"}", "FieldValueForbidden");
    }

    [Fact]
    public async Task NewInvalid_lists_every_error_once_in_brackets()
    {
        var answer = await CreateAsync(ConfigMaps, ConfigMap("\"name\":\"c\",\"labels\":{\"-a\":\"v\"},\"finalizers\":[\"custom\"]"));

        Assert.Equal(
            $"ConfigMap \"c\" is invalid: [metadata.labels: Invalid value: \"-a\": {NamePartMessage}, metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified]",
            answer.Body["message"]!.GetValue<string>());
    }
}
