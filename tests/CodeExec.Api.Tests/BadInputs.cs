namespace CodeExec.Api.Tests;

/// <summary>
/// One input the API must refuse: a manifest (and, for an update, the manifest it is changed to), the field the
/// error is on, and a piece of the message a user sees. The SAME table drives the real API server tests and the
/// C# validator tests, which shows the CRD rules and <c>CodeExecutionValidator</c> agree.
/// </summary>
public sealed record BadInput(string Name, string Kind, string Manifest, string Field, string Expected, string? UpdatedManifest = null)
{
    /// <summary>Sent with fieldValidation=Strict (unknown fields are errors, not dropped).</summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Set when a typed C# object cannot even hold the input (an unknown field, a malformed quantity): there the C# side
    /// refuses it while decoding, with an error that contains this text, and the validator never sees it.
    /// </summary>
    public string? DecodingRejects { get; init; }

    /// <summary>The object's name: unique per case so cases never collide on one server.</summary>
    public string ObjectName => "bad-" + Name;

    public override string ToString() => Name;
}

/// <summary>The table of bad inputs.</summary>
public static class BadInputs
{
    public const string Namespace = "default";

    /// <summary>A valid CodeExecution whose spec is <paramref name="spec"/> (YAML flow or block text, indented under spec).</summary>
    public static string Execution(string name, string spec) =>
        $"apiVersion: codeexec.dev/v1alpha1\nkind: CodeExecution\nmetadata:\n  name: {name}\n  namespace: {Namespace}\nspec:\n{Indent(spec)}";

    /// <summary>A CodeRuntime whose spec is <paramref name="spec"/>.</summary>
    public static string Runtime(string name, string spec) =>
        $"apiVersion: codeexec.dev/v1alpha1\nkind: CodeRuntime\nmetadata:\n  name: {name}\nspec:\n{Indent(spec)}";

    private const string GoodRuntimeSpec = "image: python:3.12-slim\ncommand: [python3]\nfileName: main.py";

    public static IReadOnlyList<BadInput> All { get; } =
    [
        Cx("missing-code", "runtime: python", "spec", "exactly one of spec.code and spec.codeFrom must be set"),
        Cx("code-and-codefrom", "code: print(1)\ncodeFrom: {configMapKeyRef: {name: src, key: main.py}}",
            "spec", "exactly one of spec.code and spec.codeFrom must be set"),
        Cx("code-too-large", $"code: {new string('x', ApiConstants.MaxInlineCodeBytes + 1)}",
            "spec.code", $"may not be more than {ApiConstants.MaxInlineCodeBytes} bytes"),
        Cx("code-empty", "code: \"\"", "spec.code", "should be at least 1 chars long"),
        Cx("codefrom-two-refs", "codeFrom: {configMapKeyRef: {name: a, key: b}, secretKeyRef: {name: a, key: b}}",
            "spec.codeFrom", "exactly one of configMapKeyRef and secretKeyRef must be set"),
        Cx("timeout-zero", "code: x\nlimits: {timeoutSeconds: 0}", "spec.limits.timeoutSeconds", "should be greater than or equal to 1"),
        Cx("timeout-huge", "code: x\nlimits: {timeoutSeconds: 86401}", "spec.limits.timeoutSeconds", "should be less than or equal to 86400"),
        Cx("cpu-malformed", "code: x\nlimits: {cpu: lots}", "spec.limits.cpu", "must be a Kubernetes quantity greater than zero")
            with { DecodingRejects = "'lots'" },
        Cx("cpu-zero", "code: x\nlimits: {cpu: \"0\"}", "spec.limits.cpu", "must be a Kubernetes quantity greater than zero"),
        Cx("memory-malformed", "code: x\nlimits: {memory: 12XB}", "spec.limits.memory", "must be a Kubernetes quantity greater than zero")
            with { DecodingRejects = "'12XB'" },
        Cx("memory-negative", "code: x\nlimits: {memory: -1Gi}", "spec.limits.memory", "must be a Kubernetes quantity greater than zero"),
        Cx("runtime-name-malformed", "code: x\nruntime: Python_3", "spec.runtime", "runtime must name a CodeRuntime"),
        Cx("env-name-bad", "code: x\nenv: [{name: 1BAD, value: v}]", "spec.env[0].name", "env name must start with a letter or underscore"),
        Cx("env-name-duplicate", "code: x\nenv: [{name: A, value: v}, {name: A, value: w}]", "spec.env[1]", "Duplicate value"),
        Cx("file-name-dotdot", "code: x\nfiles: [{name: \"..\", content: c}]", "spec.files[0].name", "with no '/' and no '..'"),
        Cx("file-name-slash", "code: x\nfiles: [{name: etc/passwd, content: c}]", "spec.files[0].name", "with no '/' and no '..'"),
        Cx("too-many-args", "code: x\nargs: [" + string.Join(", ", Enumerable.Range(0, ApiConstants.MaxArgs + 1).Select(i => $"a{i}")) + "]",
            "spec.args", $"must have at most {ApiConstants.MaxArgs} items"),
        Cx("network-mode-bad", "code: x\nnetwork: {mode: Open}", "spec.network.mode", "Unsupported value: \"Open\""),
        Cx("egress-without-hosts", "code: x\nnetwork: {mode: Egress}", "spec.network", "allowedHosts must be non-empty when mode is Egress"),
        Cx("allowed-host-ip", "code: x\nnetwork: {mode: Egress, allowedHosts: [10.0.0.1]}",
            "spec.network.allowedHosts[0]", "allowedHosts takes host names, not IP addresses"),
        Cx("output-bytes-small", "code: x\nlimits: {outputBytes: 100}", "spec.limits.outputBytes", "should be greater than or equal to 1024"),
        Cx("output-bytes-large", "code: x\nlimits: {outputBytes: 1000000}", "spec.limits.outputBytes", "should be less than or equal to 262144"),
        Cx("ttl-negative", "code: x\nttlSecondsAfterFinished: -1", "spec.ttlSecondsAfterFinished", "should be greater than or equal to 0"),
        Cx("unknown-field-strict", "code: x\nbogus: true", "spec.bogus", "unknown field \"spec.bogus\"")
            with { Strict = true, DecodingRejects = "bogus" },
        new BadInput("spec-changed", "CodeExecution", Execution("bad-spec-changed", "code: print(1)"), "spec",
            "spec is immutable", UpdatedManifest: Execution("bad-spec-changed", "code: print(2)")),
        Rt("runtime-root-user", GoodRuntimeSpec + "\nrunAsUser: 0", "spec.runAsUser", "should be greater than or equal to 1"),
        Rt("runtime-filename-path", "image: python:3.12-slim\ncommand: [python3]\nfileName: ../main.py",
            "spec.fileName", "fileName must be a plain name"),
        Rt("runtime-egress-no-hosts", GoodRuntimeSpec + "\negress: {allowed: true}",
            "spec", "egress.allowedHosts must list at least one host when egress.allowed is true"),
        Rt("runtime-egress-cidr-host", GoodRuntimeSpec + "\negress: {allowed: true, allowedHosts: [pypi.org], allowedCIDRs: [pypi.org/32]}",
            "spec.egress.allowedCIDRs[0]", "should match '^[0-9a-fA-F:.]+/[0-9]{1,3}$'"),
        Rt("runtime-pull-policy", GoodRuntimeSpec + "\nimagePullPolicy: Sometimes", "spec.imagePullPolicy", "Unsupported value: \"Sometimes\""),
        Rt("runtime-no-command", "image: python:3.12-slim\ncommand: []\nfileName: main.py", "spec.command", "should have at least 1 items"),
        Rt("runtime-max-cpu-malformed", GoodRuntimeSpec + "\nmaxLimits: {cpu: two}", "spec.maxLimits.cpu",
            "must be a Kubernetes quantity greater than zero") with { DecodingRejects = "'two'" },
    ];

    private static BadInput Cx(string name, string spec, string field, string expected) =>
        new(name, "CodeExecution", Execution("bad-" + name, spec), field, expected);

    private static BadInput Rt(string name, string spec, string field, string expected) =>
        new(name, "CodeRuntime", Runtime("bad-" + name, spec), field, expected);

    private static string Indent(string text) =>
        string.Concat(text.Split('\n').Select(line => "  " + line + "\n"));

    /// <summary>The table as xunit theory data.</summary>
    public static TheoryData<BadInput> Data() => [.. All];
}
