using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>ValidateConfigMap, ValidateSecret and their update rules, as kube-apiserver answers them.</summary>
public sealed class ConfigMapSecretValidationTests : ValidationTest
{
    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task ValidateConfigMap_requires_config_map_keys()
    {
        var answer = await CreateAsync(ConfigMaps, """{"metadata":{"name":"c"},"data":{"bad key":"v","..x":"v"}}""");

        AssertInvalid(answer, "ConfigMap", "c", "data[bad key]", "Invalid value: \"bad key\": " + ConfigKeyMessage);
        AssertInvalid(answer, "ConfigMap", "c", "data[..x]", "Invalid value: \"..x\": must not start with '..'");
        await CreateValidAsync(ConfigMaps, """{"metadata":{"name":"c"},"data":{"main.py":"v","KEY_2":"v",".hidden":"v"}}""");
    }

    [Fact]
    public async Task ValidateConfigMap_refuses_a_key_in_both_data_and_binaryData()
    {
        var answer = await CreateAsync(ConfigMaps, "{\"metadata\":{\"name\":\"c\"},\"data\":{\"k\":\"v\"},\"binaryData\":{\"k\":\"" + (B64("v")) + "\"}}");

        AssertOnlyError(answer, "ConfigMap", "c", "data[k]", "Invalid value: \"k\": duplicate of key present in binaryData");
        await CreateValidAsync(ConfigMaps, "{\"metadata\":{\"name\":\"c\"},\"data\":{\"k\":\"v\"},\"binaryData\":{\"b\":\"" + (B64("v")) + "\"}}");
    }

    [Fact]
    public async Task ValidateConfigMap_limits_data_and_binaryData_to_MaxSecretSize_on_the_whole_object()
    {
        var half = new string('x', 512 * 1024);
        var binary = Convert.ToBase64String(new byte[(512 * 1024) + 1]);
        var answer = await CreateAsync(ConfigMaps, "{\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + half + "\"},\"binaryData\":{\"b\":\"" + binary + "\"}}");

        // Upstream reports the size on the empty path (the object as a whole), so the cause has no field.
        AssertOnlyError(answer, "ConfigMap", "big", "", "Too long: must have at most 1048576 bytes", "FieldValueTooLong");
        Assert.Null(answer.Body["details"]!["causes"]![0]!["field"]);
        var fits = Convert.ToBase64String(new byte[512 * 1024]);
        await CreateValidAsync(ConfigMaps, "{\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + half + "\"},\"binaryData\":{\"b\":\"" + fits + "\"}}");
    }

    [Fact]
    public async Task ValidateConfigMapUpdate_keeps_data_of_an_immutable_config_map()
    {
        await CreateValidAsync(ConfigMaps, """{"metadata":{"name":"c"},"data":{"k":"v"},"immutable":true}""");

        var data = await ReplaceAsync(ConfigMaps, "c", o => o["data"]!["k"] = "changed");
        var flag = await ReplaceAsync(ConfigMaps, "c", o => o["immutable"] = false);
        var binary = await ReplaceAsync(ConfigMaps, "c", o => o["binaryData"] = new JsonObject { ["b"] = B64("x") });

        AssertOnlyError(data, "ConfigMap", "c", "data", "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden");
        AssertOnlyError(flag, "ConfigMap", "c", "immutable", "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden");
        AssertOnlyError(binary, "ConfigMap", "c", "binaryData", "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden");
        AssertOk(await ReplaceAsync(ConfigMaps, "c", o => o["metadata"]!["labels"] = new JsonObject { ["a"] = "b" }));
    }

    [Fact]
    public async Task ValidateConfigMapUpdate_lets_a_mutable_config_map_become_immutable()
    {
        await CreateValidAsync(ConfigMaps, """{"metadata":{"name":"c"},"data":{"k":"v"}}""");

        AssertOk(await ReplaceAsync(ConfigMaps, "c", o => { o["data"]!["k"] = "w"; o["immutable"] = true; }));
    }

    [Fact]
    public async Task ValidateSecret_requires_config_map_keys()
    {
        var answer = await CreateAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"a/b\":\"" + (B64("v")) + "\"}}");

        AssertOnlyError(answer, "Secret", "s", "data[a/b]", "Invalid value: \"a/b\": " + ConfigKeyMessage);
        await CreateValidAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"a.b\":\"" + (B64("v")) + "\"}}");
    }

    [Fact]
    public async Task ValidateSecret_limits_data_to_MaxSecretSize()
    {
        var answer = await CreateAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"a\":\"" + (Convert.ToBase64String(new byte[(1024 * 1024) + 1])) + "\"}}");

        AssertOnlyError(answer, "Secret", "s", "data", "Too long: must have at most 1048576 bytes", "FieldValueTooLong");
        await CreateValidAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"a\":\"" + (Convert.ToBase64String(new byte[1024 * 1024])) + "\"}}");
    }

    [Fact]
    public async Task ValidateSecret_service_account_token_needs_the_service_account_annotation()
    {
        AssertOnlyError(await CreateAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/service-account-token"}"""), "Secret", "s",
            "metadata.annotations[kubernetes.io/service-account.name]", "Required value", "FieldValueRequired");
        await CreateValidAsync(Secrets, """{"metadata":{"name":"s","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}""");
    }

    [Fact]
    public async Task ValidateSecret_dockerconfigjson_needs_a_JSON_object_under_its_key()
    {
        AssertOnlyError(await CreateAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/dockerconfigjson"}"""), "Secret", "s",
            "data[.dockerconfigjson]", "Required value", "FieldValueRequired");
        AssertOnlyError(await CreateAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"" + (B64("x")) + "\"}}"), "Secret", "s",
            "data[.dockerconfigjson]", "Invalid value: \"<secret contents redacted>\": invalid character 'x' looking for beginning of value");
        await CreateValidAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"" + B64("{\"auths\":{}}") + "\"}}");
    }

    [Fact]
    public async Task ValidateSecret_tls_needs_tls_crt_and_tls_key()
    {
        var answer = await CreateAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/tls"}""");

        AssertInvalid(answer, "Secret", "s", "data[tls.crt]", "Required value", "FieldValueRequired");
        AssertInvalid(answer, "Secret", "s", "data[tls.key]", "Required value", "FieldValueRequired");
        await CreateValidAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}""");
    }

    [Fact]
    public async Task ValidateSecret_basic_auth_needs_username_or_password()
    {
        var answer = await CreateAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/basic-auth"}""");

        // Upstream builds these paths from the literal "data[%s]".
        AssertInvalid(answer, "Secret", "s", "data[%s][username]", "Required value", "FieldValueRequired");
        AssertInvalid(answer, "Secret", "s", "data[%s][password]", "Required value", "FieldValueRequired");
        await CreateValidAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/basic-auth","stringData":{"password":""}}""");
    }

    [Fact]
    public async Task ValidateSecret_ssh_auth_needs_a_private_key()
    {
        AssertOnlyError(await CreateAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/ssh-auth","data":{"ssh-privatekey":""}}"""), "Secret", "s",
            "data[%s][ssh-privatekey]", "Required value", "FieldValueRequired");
        await CreateValidAsync(Secrets, """{"metadata":{"name":"s"},"type":"kubernetes.io/ssh-auth","stringData":{"ssh-privatekey":"k"}}""");
    }

    [Fact]
    public async Task ValidateSecretUpdate_keeps_the_type()
    {
        await CreateValidAsync(Secrets, """{"metadata":{"name":"s"},"type":"example.com/custom"}""");

        var changed = await ReplaceAsync(Secrets, "s", o => o["type"] = "Opaque");
        var omitted = await ReplaceAsync(Secrets, "s", o => o.Remove("type"));

        AssertOnlyError(changed, "Secret", "s", "type", "Invalid value: \"Opaque\": field is immutable");
        AssertOnlyError(omitted, "Secret", "s", "type", "Invalid value: \"Opaque\": field is immutable");
        AssertOk(await ReplaceAsync(Secrets, "s", o => o["data"] = new JsonObject { ["k"] = B64("v") }));
    }

    [Fact]
    public async Task ValidateSecretUpdate_keeps_data_of_an_immutable_secret()
    {
        await CreateValidAsync(Secrets, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"k\":\"" + (B64("v")) + "\"},\"immutable\":true}");

        AssertOnlyError(await ReplaceAsync(Secrets, "s", o => o["data"]!["k"] = B64("w")), "Secret", "s", "data",
            "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden");
        AssertOnlyError(await ReplaceAsync(Secrets, "s", o => o.Remove("immutable")), "Secret", "s", "immutable",
            "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden");
        AssertOk(await ReplaceAsync(Secrets, "s", o => o["metadata"]!["annotations"] = new JsonObject { ["a"] = "b" }));
    }
}
