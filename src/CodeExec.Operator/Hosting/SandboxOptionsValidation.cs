using CodeExec.Operator.Sandbox;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Hosting;

/// <summary>Refuses to start the host with unusable <see cref="SandboxOptions"/>, naming every problem.</summary>
internal sealed class SandboxOptionsValidation : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
