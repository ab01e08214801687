using CodeExec.Api;
using CodeExec.Operator.Commands;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Commands;

public sealed class RenderCommandTests : IDisposable
{
    private const string Execution = """
        apiVersion: codeexec.dev/v1alpha1
        kind: CodeExecution
        metadata:
          name: hello
          namespace: team-a
          uid: 0b6c3e9e-1111-2222-3333-444455556666
        spec:
          runtime: python
          code: |
            print("hello")
          stdin: "42"
          args: ["--verbose"]
          env:
            - name: GREETING
              value: hi
          limits:
            memory: 200Mi
            timeoutSeconds: 20
        """;

    private const string Runtime = """
        apiVersion: codeexec.dev/v1alpha1
        kind: CodeRuntime
        metadata:
          name: python
        spec:
          image: python:3.13-slim
          command: [python3, -I]
          fileName: main.py
          maxLimits:
            memory: 1Gi
          egress:
            allowed: true
            allowedHosts: [pypi.org]
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-render-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await RenderCommand.RunAsync(args, stdout, stderr, TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Prints_policy_configmap_and_pod_in_creation_order_exactly_as_the_renderer_builds_them()
    {
        var (exit, stdout, stderr) = await Run("-f", Write("cx.yaml", Execution), "--runtime", Write("rt.yaml", Runtime));

        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var documents = KubernetesYaml.LoadAllFromString(stdout);
        Assert.Equal(["NetworkPolicy", "ConfigMap", "Pod"], documents.Select(d => ((IKubernetesObject)d).Kind));

        var execution = KubernetesYaml.Deserialize<CodeExecution>(Execution);
        var runtime = KubernetesYaml.Deserialize<CodeRuntime>(Runtime);
        var options = new SandboxOptions();
        var admission = Admission.Admit(execution, runtime, options);
        var expected = SandboxRenderer.Render(new SandboxRequest(execution, runtime, admission.Limits!, ResolvedCode.FromInline(execution)!, []), options);
        Assert.Equal(KubernetesJson.Serialize(expected.NetworkPolicy), KubernetesJson.Serialize(documents[0]));
        Assert.Equal(KubernetesJson.Serialize(expected.CodeConfigMap), KubernetesJson.Serialize(documents[1]));
        Assert.Equal(KubernetesJson.Serialize(expected.Pod), KubernetesJson.Serialize(documents[2]));

        var pod = (V1Pod)documents[2];
        Assert.Equal("200Mi", pod.Spec.Containers[0].Resources.Limits["memory"].ToString());
        Assert.Equal(20 + 300 + 5, pod.Spec.ActiveDeadlineSeconds); // the backstop: timeout + start deadline + grace
        Assert.Equal("20", pod.Spec.Containers[0].Command[pod.Spec.Containers[0].Command.IndexOf("--timeout") + 1]);
        Assert.Equal("print(\"hello\")\n", ((V1ConfigMap)documents[1]).Data["code"]);
    }

    [Fact]
    public async Task Set_overrides_sandbox_options()
    {
        var (exit, stdout, stderr) = await Run("-f", Write("cx.yaml", Execution), "--runtime", Write("rt.yaml", Runtime),
            "--set", "CollectorImage=registry.local/op:1", "--set", "Sandbox:PriorityClassName=sandbox", "--set", "CollectorCommand:0=dotnet",
            "--set", "CollectorCommand:1=/src/codeexec-operator.dll", "--set", "CollectorCommand:2=collect");

        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var pod = (V1Pod)KubernetesYaml.LoadAllFromString(stdout)[2];
        Assert.Equal("registry.local/op:1", pod.Spec.InitContainers[0].Image);
        Assert.Equal(["dotnet", "/src/codeexec-operator.dll", "collect"], pod.Spec.InitContainers[0].Command);
        Assert.Equal("sandbox", pod.Spec.PriorityClassName);
    }

    [Fact]
    public async Task Code_from_a_secret_needs_code_file_and_renders_a_secret()
    {
        var execution = Execution.Replace("  code: |\n    print(\"hello\")\n", "  codeFrom:\n    secretKeyRef: {name: src, key: main.py}\n", StringComparison.Ordinal);
        var cx = Write("cx.yaml", execution);
        var rt = Write("rt.yaml", Runtime);

        var (exit, stdout, stderr) = await Run("-f", cx, "--runtime", rt);
        Assert.Equal((2, ""), (exit, stdout));
        Assert.Contains("pass --code-file", stderr, StringComparison.Ordinal);

        (exit, stdout, stderr) = await Run("-f", cx, "--runtime", rt, "--code-file", Write("main.py", "print('secret')\n"));
        Assert.Equal((0, ""), (exit, stderr));
        var secret = (V1Secret)KubernetesYaml.LoadAllFromString(stdout)[1];
        Assert.Equal("print('secret')\n", System.Text.Encoding.UTF8.GetString(secret.Data["code"]));
    }

    [Fact]
    public async Task Egress_takes_addresses_from_the_command_line()
    {
        var execution = Execution.Replace("  limits:", "  network:\n    mode: Egress\n    allowedHosts: [pypi.org]\n  limits:", StringComparison.Ordinal);

        var (exit, stdout, stderr) = await Run("-f", Write("cx.yaml", execution), "--runtime", Write("rt.yaml", Runtime), "--address", "pypi.org=151.101.0.223");

        Assert.Equal((0, ""), (exit, stderr));
        var policy = (V1NetworkPolicy)KubernetesYaml.LoadAllFromString(stdout)[0];
        Assert.Equal("hello-0b6c3e9e-egress", policy.Metadata.Name);
        Assert.Equal("151.101.0.223/32", policy.Spec.Egress[0].To[0].IpBlock.Cidr);
    }

    [Fact]
    public async Task Admission_errors_are_all_printed_with_exit_2_and_nothing_on_stdout()
    {
        var execution = Execution.Replace("memory: 200Mi", "memory: 2Gi", StringComparison.Ordinal)
            .Replace("    - name: GREETING", "    - name: HOME", StringComparison.Ordinal);

        var (exit, stdout, stderr) = await Run("-f", Write("cx.yaml", execution), "--runtime", Write("rt.yaml", Runtime));

        Assert.Equal((2, ""), (exit, stdout));
        Assert.Contains("would be Rejected", stderr, StringComparison.Ordinal);
        Assert.Contains("limits.memory 2Gi exceeds the runtime python maximum 1Gi", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.env HOME is set by the operator", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cx", "rt", "not a valid CodeExecution YAML document")]                // bad YAML
    [InlineData("rt-as-cx", "rt", "expected apiVersion codeexec.dev/v1alpha1 kind CodeExecution")]
    [InlineData("unknown-field", "rt", "not a valid CodeExecution YAML document")]
    [InlineData("missing", "rt", "cannot read the file")]
    [InlineData("other-runtime", "rt", "asks for the runtime \"node\"")]
    [InlineData("empty", "rt", "the file is empty")]
    [InlineData("bad-env", "rt", "the API server would refuse the CodeExecution:\n  spec.env[0].name")]
    [InlineData("cx-ok", "bad-rt", "the API server would refuse the CodeRuntime:\n  spec.fileName")]
    public async Task Bad_input_is_a_clear_error_with_exit_2(string executionCase, string runtimeCase, string expected)
    {
        var files = new Dictionary<string, string>
        {
            ["cx"] = "apiVersion: codeexec.dev/v1alpha1\nkind: CodeExecution\nspec: [unclosed",
            ["rt-as-cx"] = Runtime,
            ["unknown-field"] = Execution + "\n  image: evil:latest\n",
            ["other-runtime"] = Execution.Replace("runtime: python", "runtime: node", StringComparison.Ordinal),
            ["empty"] = "",
            ["rt"] = Runtime,
            ["bad-env"] = Execution.Replace("name: GREETING", "name: 1BAD", StringComparison.Ordinal),
            ["cx-ok"] = Execution,
            ["bad-rt"] = Runtime.Replace("fileName: main.py", "fileName: ../etc/passwd", StringComparison.Ordinal),
        };
        var cx = executionCase == "missing" ? Path.Combine(_dir, "nope.yaml") : Write("cx.yaml", files[executionCase]);

        var (exit, stdout, stderr) = await Run("-f", cx, "--runtime", Write("rt.yaml", files[runtimeCase]));

        Assert.Equal((2, ""), (exit, stdout));
        Assert.StartsWith("render: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--runtime", "rt.yaml")]
    [InlineData("-f")]
    [InlineData("-f", "cx.yaml", "--runtime", "rt.yaml", "--set", "NoSuchOption=1")]
    [InlineData("-f", "cx.yaml", "--runtime", "rt.yaml", "--address", "pypi.org=not-an-ip")]
    [InlineData("-f", "cx.yaml", "--runtime", "rt.yaml", "--frobnicate", "1")]
    [InlineData("-f", "cx.yaml", "--runtime", "rt.yaml", "--set", "OutputBufferSize=lots")]
    public async Task Bad_arguments_are_a_clear_error_with_exit_2(params string[] args)
    {
        Write("cx.yaml", Execution);
        Write("rt.yaml", Runtime);
        var absolute = args.Select(a => a.EndsWith(".yaml", StringComparison.Ordinal) ? Path.Combine(_dir, a) : a).ToArray();

        var (exit, stdout, stderr) = await Run(absolute);

        Assert.Equal((2, ""), (exit, stdout));
        Assert.StartsWith("render: ", stderr, StringComparison.Ordinal);
    }
}
