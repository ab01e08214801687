using CodeExec.Api.Validation;
using k8s;

namespace CodeExec.Api.Tests;

/// <summary>
/// CodeExecutionValidator and CodeRuntimeValidator over the same samples and bad-input table as the real API server
/// tests (<see cref="CrdServerValidationTests"/>): what the server refuses, the C# rules refuse on the same field.
/// </summary>
public sealed class ValidatorTests
{
    /// <summary>Decodes a manifest strictly (unknown fields are errors, as with fieldValidation=Strict) and validates it.</summary>
    internal static IReadOnlyList<ValidationError> Validate(string kind, string manifest) => kind switch
    {
        "CodeExecution" => CodeExecutionValidator.Validate(KubernetesYaml.Deserialize<CodeExecution>(manifest, strict: true)),
        "CodeRuntime" => CodeRuntimeValidator.Validate(KubernetesYaml.Deserialize<CodeRuntime>(manifest, strict: true)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a codeexec.dev kind"),
    };

    private static string KindOf(string manifest) =>
        manifest.Split('\n').Single(l => l.StartsWith("kind:", StringComparison.Ordinal))["kind:".Length..].Trim();

    [Theory]
    [MemberData(nameof(SampleManifests.Files), MemberType = typeof(SampleManifests))]
    public void Every_sample_is_valid(string sample)
    {
        var manifest = SampleManifests.Read(sample);
        Assert.Empty(Validate(KindOf(manifest), manifest));
    }

    [Theory]
    [MemberData(nameof(GoodInputs.Names), MemberType = typeof(GoodInputs))]
    public void Every_good_edge_input_is_valid(string name)
    {
        var (_, kind, manifest) = GoodInputs.Get(name);
        Assert.Empty(Validate(kind, manifest));
    }

    [Theory]
    [MemberData(nameof(BadInputs.Data), MemberType = typeof(BadInputs))]
    public void Every_bad_input_is_rejected_on_its_field(BadInput input)
    {
        if (input.UpdatedManifest is { } updated)
        {
            var previous = KubernetesYaml.Deserialize<CodeExecution>(input.Manifest, strict: true);
            Assert.Empty(CodeExecutionValidator.Validate(previous));
            var errors = CodeExecutionValidator.ValidateUpdate(previous, KubernetesYaml.Deserialize<CodeExecution>(updated, strict: true));
            AssertHasError(errors, input);
            return;
        }

        if (input.DecodingRejects is { } decodingError)
        {
            var error = Assert.ThrowsAny<Exception>(() => Validate(input.Kind, input.Manifest));
            var messages = string.Join(" <- ", Chain(error).Select(e => e.Message));
            Assert.Contains(decodingError, messages, StringComparison.Ordinal);
            return;
        }

        AssertHasError(Validate(input.Kind, input.Manifest), input);
    }

    [Fact]
    public void Every_cel_rule_of_the_api_has_a_csharp_equivalent() =>
        Assert.Empty(SchemaRuleChecker.RulesWithoutEquivalent());

    [Fact]
    public void An_unchanged_update_is_valid()
    {
        var manifest = BadInputs.Execution("same", "code: print(1)\nlimits: {cpu: 500m, memory: 1Gi}");
        var previous = KubernetesYaml.Deserialize<CodeExecution>(manifest);
        var updated = KubernetesYaml.Deserialize<CodeExecution>(manifest);
        updated.Metadata.Labels = new Dictionary<string, string> { ["changed"] = "metadata-only" };
        Assert.Empty(CodeExecutionValidator.ValidateUpdate(previous, updated));
    }

    [Fact]
    public void Egress_with_host_names_is_valid()
    {
        var manifest = BadInputs.Execution("egress", "code: x\nnetwork: {mode: Egress, allowedHosts: [pypi.org, files.pythonhosted.org]}");
        Assert.Empty(Validate("CodeExecution", manifest));
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static void AssertHasError(IReadOnlyList<ValidationError> errors, BadInput input) =>
        Assert.True(
            errors.Any(e => e.Field == input.Field && e.Message.Contains(input.Expected, StringComparison.Ordinal)),
            $"expected an error on {input.Field} containing \"{input.Expected}\"; got: [{string.Join("; ", errors)}]");
}
