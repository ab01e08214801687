using System.Diagnostics.CodeAnalysis;

// CA1716: "Operator" (in the project's namespace) is a Visual Basic keyword; test code is never used from Visual Basic.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespaceanddescendants",
    Target = "~N:CodeExec.Operator.Tests.Controller", Justification = "Operator is a VB keyword; these are C# tests.")]
