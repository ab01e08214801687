using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.RealApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Reconciliation;

/// <summary>
/// Every kind of status the operator writes (<see cref="StatusShapes"/>) goes through the status subresource of the
/// real CRD API server, in the order the reconciler writes it, and comes back exactly as sent: accepted by the schema,
/// nothing pruned, nothing defaulted.
/// </summary>
public sealed class StatusShapesOnRealServerTests(RealApiServerWithCrds fixture) : IClassFixture<RealApiServerWithCrds>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string> Scenarios => [.. StatusShapes.All.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_status_is_accepted_unchanged_through_the_status_subresource(string scenario)
    {
        var client = fixture.Server.Client;
        var shape = StatusShapes.All[scenario];
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            shape.Execution, ApiConstants.Group, ApiConstants.Version, StatusShapes.Namespace, ApiConstants.CodeExecutionPlural, cancellationToken: Cancel);
        var current = KubernetesJson.Deserialize<CodeExecution>(Raw(created).ToJsonString());

        for (var step = 0; step < shape.Steps.Count; step++)
        {
            var status = shape.Steps[step](current);
            // The body the reconciler's status write sends: identity and resourceVersion, the spec as read, the new status.
            var body = new CodeExecution
            {
                Metadata = new V1ObjectMeta
                {
                    Name = current.Metadata.Name,
                    NamespaceProperty = current.Metadata.NamespaceProperty,
                    ResourceVersion = current.Metadata.ResourceVersion,
                    Uid = current.Metadata.Uid,
                },
                Spec = current.Spec,
                Status = status,
            };
            object written;
            try
            {
                written = await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
                    body, ApiConstants.Group, ApiConstants.Version, StatusShapes.Namespace, ApiConstants.CodeExecutionPlural, current.Metadata.Name,
                    cancellationToken: Cancel);
            }
            catch (HttpOperationException e)
            {
                Assert.Fail($"{scenario} step {step + 1} ({status.Phase}): HTTP {(int)e.Response.StatusCode} {e.Response.Content}");
                throw;
            }

            var stored = Raw(await client.CustomObjects.GetNamespacedCustomObjectAsync(
                ApiConstants.Group, ApiConstants.Version, StatusShapes.Namespace, ApiConstants.CodeExecutionPlural, current.Metadata.Name, Cancel));
            var sent = JsonNode.Parse(KubernetesJson.Serialize(status));
            AssertSame(sent, Raw(written)["status"], $"{scenario} step {step + 1} ({status.Phase}), as the write answered");
            AssertSame(sent, stored["status"], $"{scenario} step {step + 1} ({status.Phase}), as stored");
            current = KubernetesJson.Deserialize<CodeExecution>(stored.ToJsonString());
        }
    }

    [Fact]
    public void The_scenarios_cover_every_phase_reason_condition_encoding_and_truncation()
    {
        var statuses = StatusShapes.All.Values.SelectMany(s => s.BuildOffline()).ToList();
        var conditions = statuses.SelectMany(s => s.Conditions ?? []).ToList();

        Assert.Equal(ExecutionPhase.All.Order(StringComparer.Ordinal), statuses.Select(s => s.Phase!).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(Constants(typeof(ExecutionReason)), statuses.Select(s => s.Reason).OfType<string>().Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(Constants(typeof(ConditionTypes)), conditions.Select(c => c.Type).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(["False", "True"], conditions.Select(c => c.Status).Distinct().Order(StringComparer.Ordinal));
        var conditionReasons = conditions.Select(c => c.Reason).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["Admitted", "PodCreated", "Started", .. Constants(typeof(ExecutionReason)).Except([ExecutionReason.QuotaExceeded])]), conditionReasons);
        foreach (var encoding in new[] { OutputEncodings.Utf8, OutputEncodings.Base64 })
        {
            Assert.Contains(statuses, s => s.StdoutEncoding == encoding);
            Assert.Contains(statuses, s => s.StderrEncoding == encoding);
        }

        Assert.Contains(statuses, s => s.StdoutTruncated == true);
        Assert.Contains(statuses, s => s.StderrTruncated == true);
        Assert.Contains(statuses, s => s.StdoutEncoding == OutputEncodings.Base64 && s.StdoutTruncated == true);
        Assert.Contains(statuses, s => s.Message?.Contains("output not collected", StringComparison.Ordinal) == true);
        Assert.Contains(statuses, s => s.Message?.Contains("was never written", StringComparison.Ordinal) == true);
        // The largest: a whole limits.outputBytes of binary stdout (base64) and of truncated stderr.
        Assert.Contains(statuses, s => s.StdoutBytes == ApiConstants.MaxOutputBytes && s.Stdout!.Length == (ApiConstants.MaxOutputBytes + 2) / 3 * 4
            && s.StderrTruncated == true && System.Text.Encoding.UTF8.GetByteCount(s.Stderr!) > ApiConstants.MaxOutputBytes - 64);
        Assert.All(statuses, s => Assert.Equal(1, s.ObservedGeneration));
    }

    private static string[] Constants(Type type) =>
        [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal)];

    private static JsonNode Raw(object response) => response switch
    {
        JsonElement element => JsonNode.Parse(element.GetRawText())!,
        _ => JsonNode.Parse(KubernetesJson.Serialize(response))!,
    };

    private static void AssertSame(JsonNode? expected, JsonNode? actual, string what)
    {
        var differences = new List<string>();
        Compare(expected, actual, "status", differences);
        Assert.True(differences.Count == 0, $"{what}: the server changed the status:\n" + string.Join("\n", differences.Take(20)));
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    Compare(e[key], a[key], path + "." + key, differences);
                }

                break;
            case (JsonArray e, JsonArray a) when e.Count == a.Count:
                for (var i = 0; i < e.Count; i++)
                {
                    Compare(e[i], a[i], $"{path}[{i}]", differences);
                }

                break;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    differences.Add($"{path}: sent {Short(expected)}, got {Short(actual)}");
                }

                break;
        }
    }

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "(absent)";
        return text.Length > 200 ? text[..200] + $"... ({text.Length} characters)" : text;
    }
}
