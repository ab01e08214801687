namespace CodeExec.Api.Validation;

/// <summary>
/// The user-facing messages of the API's cross-field (CEL) rules. The CRD rules (through <see cref="CelRuleAttribute"/>)
/// and <see cref="CodeExecutionValidator"/> share them, so the API server and the operator say the same thing.
/// </summary>
public static class ValidationMessages
{
    public const string ExactlyOneCodeSource = "exactly one of spec.code and spec.codeFrom must be set";
    public const string ExactlyOneKeyReference = "exactly one of configMapKeyRef and secretKeyRef must be set";
    public const string SpecImmutable = "spec is immutable: delete the CodeExecution and create a new one to run different code";
    public const string RuntimeName =
        "runtime must name a CodeRuntime: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
    public const string EnvName = "env name must start with a letter or underscore and hold only letters, digits and underscores";
    public const string FileName = "file name must be a plain name: letters, digits, '.', '_' or '-', with no '/' and no '..'";
    public const string RuntimeFileName = "fileName must be a plain name: letters, digits, '.', '_' or '-', with no '/' and no '..'";
    public const string EgressHosts = "allowedHosts must be non-empty when mode is Egress, and empty when mode is None";
    public const string HostNotIpAddress = "allowedHosts takes host names, not IP addresses";
    public const string RuntimeEgressHosts = "egress.allowedHosts must list at least one host when egress.allowed is true";
    public const string PositiveQuantity = "must be a Kubernetes quantity greater than zero, such as 500m, 2 or 256Mi";
}
