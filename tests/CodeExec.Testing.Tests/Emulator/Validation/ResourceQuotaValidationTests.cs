using System.Net;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>ValidateResourceQuota and its helpers in pkg/apis/core/validation, as kube-apiserver answers them.</summary>
public sealed class ResourceQuotaValidationTests : ValidationTest
{
    private static string Quota(string spec) => "{\"metadata\":{\"name\":\"q\"},\"spec\":{" + spec + "}}";

    [Fact]
    public async Task ValidateResourceQuotaResourceName_requires_a_standard_or_qualified_resource()
    {
        var answer = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"gpus":"1","bad name":"1"}
            """));

        AssertInvalid(answer, "ResourceQuota", "q", "spec.hard[gpus]", "Invalid value: \"gpus\": must be a standard resource type or fully qualified");
        AssertInvalid(answer, "ResourceQuota", "q", "spec.hard[bad name]", "Invalid value: \"bad name\": " + NamePartMessage);
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"10","requests.cpu":"2","limits.memory":"4Gi","count/configmaps":"5","example.com/gpu":"1","hugepages-2Mi":"1Gi"}
            """));
    }

    [Fact]
    public async Task ValidateResourceQuantityValue_refuses_negative_quantities()
    {
        AssertOnlyError(await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"cpu":"-500m"}
            """)), "ResourceQuota", "q", "spec.hard[cpu]", "Invalid value: \"-500m\": must be greater than or equal to 0");
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"cpu":"0"}
            """));
    }

    [Fact]
    public async Task ValidateResourceQuantityValue_requires_whole_counts()
    {
        var answer = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1.5","count/secrets":"500m"}
            """));

        AssertInvalid(answer, "ResourceQuota", "q", "spec.hard[pods]", "Invalid value: 1500m: must be an integer");
        AssertInvalid(answer, "ResourceQuota", "q", "spec.hard[count/secrets]", "Invalid value: 500m: must be an integer");
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"2","count/secrets":"1k","cpu":"1.5"}
            """));
    }

    [Fact]
    public async Task ParseQuantity_refuses_what_is_no_quantity_while_decoding()
    {
        var answer = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"cpu":"lots"}
            """));

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("ResourceQuota in version \"v1\" cannot be handled as a ResourceQuota: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            answer.Body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ValidateResourceQuotaScopes_checks_scope_names_resources_and_conflicts()
    {
        var unknown = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1"},"scopes":["Everything"]
            """));
        var misfit = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"cpu":"1"},"scopes":["BestEffort"]
            """));
        var conflict = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1"},"scopes":["Terminating","NotTerminating"]
            """));

        AssertOnlyError(unknown, "ResourceQuota", "q", "spec.scopes", "Invalid value: []core.ResourceQuotaScope{\"Everything\"}: unsupported scope");
        AssertOnlyError(misfit, "ResourceQuota", "q", "spec.scopes", "Invalid value: []core.ResourceQuotaScope{\"BestEffort\"}: unsupported scope applied to resource");
        AssertOnlyError(conflict, "ResourceQuota", "q", "spec.scopes", "Invalid value: []core.ResourceQuotaScope{\"Terminating\", \"NotTerminating\"}: conflicting scopes");
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1","requests.cpu":"1"},"scopes":["NotBestEffort","Terminating"]
            """));
    }

    [Fact]
    public async Task ValidateScopeSelector_checks_operators_and_values()
    {
        var answer = await CreateAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1"},"scopeSelector":{"matchExpressions":[
              {"scopeName":"BestEffort","operator":"In","values":["x"]},
              {"scopeName":"PriorityClass","operator":"NotIn"},
              {"scopeName":"Terminating","operator":"Exists","values":["x"]},
              {"scopeName":"PriorityClass","operator":"Near","values":["x"]}]}
            """));

        const string path = "spec.scopeSelector.matchExpressions";
        AssertInvalid(answer, "ResourceQuota", "q", path + ".operator",
            "Invalid value: \"In\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity");
        AssertInvalid(answer, "ResourceQuota", "q", path + ".values", "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector", "FieldValueRequired");
        AssertInvalid(answer, "ResourceQuota", "q", path + ".values", "Invalid value: []string{\"x\"}: must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector");
        AssertInvalid(answer, "ResourceQuota", "q", path + ".operator", "Invalid value: \"Near\": not a valid selector operator");
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"10","requests.cpu":"4"},"scopeSelector":{"matchExpressions":[{"scopeName":"PriorityClass","operator":"In","values":["codeexec-sandbox"]}]}
            """));
    }

    [Fact]
    public async Task ValidateResourceQuotaUpdate_keeps_scopes()
    {
        await CreateValidAsync(ResourceQuotas, Quota("""
            "hard":{"pods":"1"},"scopes":["NotTerminating"]
            """));

        AssertOnlyError(await ReplaceAsync(ResourceQuotas, "q", o => o["spec"]!["scopes"] = new System.Text.Json.Nodes.JsonArray("Terminating")), "ResourceQuota", "q",
            "spec.scopes", "Invalid value: []core.ResourceQuotaScope{\"Terminating\"}: field is immutable");
        AssertOk(await ReplaceAsync(ResourceQuotas, "q", o => o["spec"]!["hard"]!["pods"] = "5"));
    }
}
