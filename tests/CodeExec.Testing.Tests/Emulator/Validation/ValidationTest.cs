using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>
/// Base of the validation tests: raw JSON writes (so that objects a typed client would not build can be sent) and
/// assertions on the 422 Status the API server answers: reason Invalid, one cause per field error, and the message
/// <c>Kind "name" is invalid: field: body</c>.
/// </summary>
public abstract class ValidationTest : EmulatorTest
{
    protected const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    protected const string Secrets = "/api/v1/namespaces/default/secrets";
    protected const string CoreEvents = "/api/v1/namespaces/default/events";
    protected const string Events = "/apis/events.k8s.io/v1/namespaces/default/events";
    protected const string NetworkPolicies = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies";
    protected const string Leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    protected const string ResourceQuotas = "/api/v1/namespaces/default/resourcequotas";

    /// <summary>An answer: its status code and JSON body.</summary>
    protected sealed record Answer(HttpStatusCode Status, JsonObject Body)
    {
        public override string ToString() => $"{(int)Status} {Body.ToJsonString()}";
    }

    protected async Task<Answer> SendAsync(HttpMethod method, string path, JsonNode? body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, new Uri(Emulator.BaseUri, path));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return new Answer(response.StatusCode, JsonNode.Parse(text) as JsonObject ?? []);
    }

    /// <summary>POSTs an object given as JSON text.</summary>
    protected Task<Answer> CreateAsync(string collection, string json) => SendAsync(HttpMethod.Post, collection, JsonNode.Parse(json));

    /// <summary>POSTs an object and asserts it is created.</summary>
    protected async Task<JsonObject> CreateValidAsync(string collection, string json)
    {
        var answer = await CreateAsync(collection, json);
        Assert.True(answer.Status == HttpStatusCode.Created, answer.ToString());
        return answer.Body;
    }

    /// <summary>Reads an object, changes it and PUTs it back.</summary>
    protected async Task<Answer> ReplaceAsync(string collection, string name, Action<JsonObject> change)
    {
        var current = await SendAsync(HttpMethod.Get, collection + "/" + name, null);
        Assert.Equal(HttpStatusCode.OK, current.Status);
        change(current.Body);
        return await SendAsync(HttpMethod.Put, collection + "/" + name, current.Body);
    }

    /// <summary>
    /// Asserts a 422 Invalid whose causes include the field error and whose message names the kind and object
    /// and carries the error's text.
    /// </summary>
    protected static void AssertInvalid(Answer answer, string kind, string name, string field, string message, string type = "FieldValueInvalid")
    {
        Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity, answer.ToString());
        Assert.Equal("Invalid", answer.Body["reason"]?.GetValue<string>());
        Assert.Equal(422, answer.Body["code"]?.GetValue<int>());
        var causes = answer.Body["details"]?["causes"] as JsonArray ?? [];
        Assert.True(
            causes.Any(c => (c?["field"]?.GetValue<string>() ?? "") == field && c?["message"]?.GetValue<string>() == message && c?["reason"]?.GetValue<string>() == type),
            $"no cause {type} {field}: {message} in {answer}");
        var text = answer.Body["message"]!.GetValue<string>();
        Assert.StartsWith($"{kind} \"{name}\" is invalid: ", text, StringComparison.Ordinal);
        Assert.Contains($"{field}: {message}", text, StringComparison.Ordinal);
    }

    /// <summary>Asserts the only error is this one: the message is exactly <c>Kind "name" is invalid: field: message</c>.</summary>
    protected static void AssertOnlyError(Answer answer, string kind, string name, string field, string message, string type = "FieldValueInvalid")
    {
        AssertInvalid(answer, kind, name, field, message, type);
        Assert.Equal($"{kind} \"{name}\" is invalid: {field}: {message}", answer.Body["message"]!.GetValue<string>());
    }

    protected static void AssertOk(Answer answer) =>
        Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.Created, answer.ToString());

    /// <summary>upstream's DNS-1123 subdomain message for a value.</summary>
    protected const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    /// <summary>upstream's name-part message of a qualified name.</summary>
    protected const string NamePartMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    /// <summary>upstream's config-map key message.</summary>
    protected const string ConfigKeyMessage =
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
}
