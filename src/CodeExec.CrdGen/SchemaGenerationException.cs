namespace CodeExec.CrdGen;

/// <summary>The C# API types cannot be turned into a CRD schema (for example, a field has no doc comment).</summary>
internal sealed class SchemaGenerationException(string message) : Exception(message);
