using System.Diagnostics.CodeAnalysis;

// CA1716 flags every namespace under CodeExec.Operator because "Operator" is a Visual Basic keyword. This assembly is
// the operator application, never referenced from Visual Basic; the project's name stays.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespaceanddescendants",
    Target = "~N:CodeExec.Operator.Controller", Justification = "Operator is a VB keyword; this is a C# application.")]
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespaceanddescendants",
    Target = "~N:CodeExec.Operator.Hosting", Justification = "Operator is a VB keyword; this is a C# application.")]
