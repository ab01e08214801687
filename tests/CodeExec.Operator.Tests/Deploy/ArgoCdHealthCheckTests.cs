using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CodeExec.Api;
using NLua;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Runs config/gitops/argocd-health.lua, the Argo CD health check the README tells administrators to install, in a
/// real Lua interpreter (Lua 5.4 through NLua; Argo CD runs gopher-lua, Lua 5.1: the script uses only what both have),
/// with <c>obj</c> set to a CodeExecution as Argo CD passes it (the object's JSON as a table).
/// </summary>
public sealed class ArgoCdHealthCheckTests
{
    private static readonly string Script = File.ReadAllText(RepositoryFiles.PathOf("config", "gitops", "argocd-health.lua"));

    private static (string Status, string Message) Health(CodeExecution execution)
    {
        using var lua = new Lua();
        var json = JsonNode.Parse(k8s.KubernetesJson.Serialize(execution));
        lua.DoString("obj = " + LuaLiteral(json));
        var result = lua.DoString(Script);
        var table = Assert.IsType<LuaTable>(Assert.Single(result));
        return ((string)table["status"], (string)table["message"]);
    }

    private static string LuaLiteral(JsonNode? node) => node switch
    {
        null => "nil",
        JsonObject o => "{" + string.Join(", ", o.Select(p => "[" + Quote(p.Key) + "] = " + LuaLiteral(p.Value))) + "}",
        JsonArray a => "{" + string.Join(", ", a.Select(LuaLiteral)) + "}",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<string>(out var s) => Quote(s),
        _ => node.ToJsonString(),
    };

    private static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c is '"' or '\\' ? "\\" + c : c < ' ' ? "\\" + ((int)c).ToString("D3", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.Append('"').ToString();
    }

    private static CodeExecution Execution(string? phase, string? reason = null, string? message = null, long generation = 1, long? observed = 1) => new()
    {
        ApiVersion = ApiConstants.Group + "/" + ApiConstants.Version,
        Kind = "CodeExecution",
        Metadata = new k8s.Models.V1ObjectMeta { Name = "x", NamespaceProperty = "default", Generation = generation },
        Spec = new CodeExecutionSpec { Runtime = "python", Code = "print(1)" },
        Status = phase is null ? null : new CodeExecutionStatus { Phase = phase, Reason = reason, Message = message, ObservedGeneration = observed },
    };

    [Theory]
    [InlineData(ExecutionPhase.Succeeded, "Healthy")]
    [InlineData(ExecutionPhase.Failed, "Degraded")]
    [InlineData(ExecutionPhase.TimedOut, "Degraded")]
    [InlineData(ExecutionPhase.Rejected, "Degraded")]
    [InlineData(ExecutionPhase.Pending, "Progressing")]
    [InlineData(ExecutionPhase.Queued, "Progressing")]
    [InlineData(ExecutionPhase.Running, "Progressing")]
    public void Each_phase_maps_to_an_Argo_CD_health_status(string phase, string health)
    {
        var (status, message) = Health(Execution(phase, "Completed", "the code exited with code 0"));

        Assert.Equal(health, status);
        Assert.Equal(phase + " (Completed): the code exited with code 0", message);
    }

    [Fact]
    public void Every_phase_of_the_API_is_covered_by_the_theory()
    {
        var phases = typeof(ExecutionPhase).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal);

        Assert.Equal(["Failed", "Pending", "Queued", "Rejected", "Running", "Succeeded", "TimedOut"], phases);
    }

    [Fact]
    public void Without_a_status_or_before_the_operator_saw_the_generation_it_is_Progressing()
    {
        Assert.Equal("Progressing", Health(Execution(null)).Status);
        Assert.Equal("Progressing", Health(Execution(ExecutionPhase.Succeeded, generation: 2, observed: 1)).Status);
        Assert.Equal("Healthy", Health(Execution(ExecutionPhase.Succeeded, generation: 2, observed: 2)).Status);
    }
}
