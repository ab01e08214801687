using System.Diagnostics.CodeAnalysis;

// "Operator" is a Visual Basic keyword; the namespace follows the project name CodeExec.Operator and is internal to tests.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "Namespace follows the CodeExec.Operator project name", Scope = "namespace", Target = "~N:CodeExec.Operator.Tests.Deploy")]
