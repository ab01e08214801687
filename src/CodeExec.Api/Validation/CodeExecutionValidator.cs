using k8s;

namespace CodeExec.Api.Validation;

/// <summary>
/// The CRD's validation of a CodeExecution, in C#, for code that sees objects without an API server (the operator's
/// <c>render</c> command, admission). The rules and messages are those of the generated CRD schema; tests run this
/// and the real API server over the same table of bad inputs to show that they agree.
/// </summary>
public static class CodeExecutionValidator
{
    /// <summary>Checks a CodeExecution as the API server would when it is created. Empty when it is valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return SchemaRuleChecker.Check(execution);
    }

    /// <summary>Checks an update of <paramref name="previous"/> to <paramref name="updated"/>: the new object's rules, and that its spec did not change.</summary>
    public static IReadOnlyList<ValidationError> ValidateUpdate(CodeExecution previous, CodeExecution updated)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(updated);
        var errors = SchemaRuleChecker.Check(updated).ToList();
        if (KubernetesJson.Serialize(previous.Spec) != KubernetesJson.Serialize(updated.Spec))
        {
            errors.Add(new ValidationError("spec", "Forbidden: " + ValidationMessages.SpecImmutable));
        }

        return errors;
    }
}

/// <summary>The CRD's validation of a CodeRuntime, in C# (see <see cref="CodeExecutionValidator"/>).</summary>
public static class CodeRuntimeValidator
{
    /// <summary>Checks a CodeRuntime as the API server would. Empty when it is valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(CodeRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return SchemaRuleChecker.Check(runtime);
    }
}
