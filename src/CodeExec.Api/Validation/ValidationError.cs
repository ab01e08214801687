namespace CodeExec.Api.Validation;

/// <summary>One rule an object breaks: the field path (as the API server writes it, e.g. <c>spec.env[0].name</c>) and why.</summary>
public sealed record ValidationError(string Field, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Field}: {Message}";
}
