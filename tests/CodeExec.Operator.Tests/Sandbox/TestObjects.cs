using CodeExec.Api;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

/// <summary>Small builders of executions, runtimes and requests for the sandbox tests.</summary>
internal static class TestObjects
{
    public static CodeExecution Execution(string name = "hello", string? code = "print('hi')", string runtime = "python") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "team-a", Uid = "0b6c3e9e-1111-2222-3333-444455556666", Generation = 1 },
        Spec = new CodeExecutionSpec { Runtime = runtime, Code = code },
    };

    public static CodeRuntime Runtime(string name = "python") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new CodeRuntimeSpec
        {
            Image = "python@sha256:abc",
            Command = ["python3", "-I"],
            FileName = "main.py",
            RunAsUser = 65532,
            RunAsGroup = 65532,
            DefaultLimits = new ExecutionLimits { Memory = new ResourceQuantity("128Mi") },
            MaxLimits = new ExecutionLimits
            {
                Memory = new ResourceQuantity("1Gi"),
                Cpu = new ResourceQuantity("2"),
                TimeoutSeconds = 600,
                Processes = 256,
                TmpSize = new ResourceQuantity("256Mi"),
                OutputBytes = 128 * 1024,
            },
        },
    };

    public static SandboxRequest Request(CodeExecution? execution = null, CodeRuntime? runtime = null, SandboxOptions? options = null, IReadOnlyList<PinnedHost>? egress = null)
    {
        execution ??= Execution();
        runtime ??= Runtime();
        var admission = Admission.Admit(execution, runtime, options ?? new SandboxOptions(),
            egress?.ToDictionary(h => h.Host, h => h.Addresses));
        Assert.True(admission.IsAdmitted, admission.Message);
        var code = ResolvedCode.FromInline(execution) ?? new ResolvedCode("print('from a reference')", ResolvedCode.KindOf(execution));
        return new SandboxRequest(execution, runtime, admission.Limits!, code, admission.Egress);
    }
}
