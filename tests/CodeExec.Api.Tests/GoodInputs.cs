namespace CodeExec.Api.Tests;

/// <summary>
/// Inputs at the edges of the rules that the API must accept, shared like <see cref="BadInputs"/> by the real API
/// server tests and the C# validator tests, so neither side is stricter than the other.
/// </summary>
public static class GoodInputs
{
    public static IReadOnlyList<(string Name, string Kind, string Manifest)> All { get; } =
    [
        Cx("cpu-integer", "code: x\nlimits: {cpu: 2, memory: 1.5Gi, tmpSize: 64Mi}"),
        Cx("cpu-decimal", "code: x\nlimits: {cpu: \"0.5\", memory: 268435456}"),
        Cx("code-at-limit", $"code: {new string('x', ApiConstants.MaxInlineCodeBytes)}"),
        Cx("limits-at-bounds", $"code: x\nlimits: {{timeoutSeconds: {ApiConstants.MaxTimeoutSeconds}, outputBytes: 1024, processes: 1}}"),
        Cx("code-from-secret", "codeFrom: {secretKeyRef: {name: scripts, key: main.py}}"),
        Cx("file-with-dots", "code: x\nfiles: [{name: data.v2.csv, content: \"a,b\"}, {name: .hidden, content: \"\"}]"),
        Cx("env-underscore", "code: x\nenv: [{name: _PRIVATE, value: \"\"}, {name: LANG, value: C.UTF-8}]"),
        Cx("egress-with-hosts", "code: x\nnetwork: {mode: Egress, allowedHosts: [pypi.org, files.pythonhosted.org]}"),
        Cx("network-none-empty-hosts", "code: x\nnetwork: {mode: None, allowedHosts: []}"),
        Cx("runtime-dotted", "code: x\nruntime: python.3-12"),
        ("runtime-egress", "CodeRuntime", BadInputs.Runtime("good-runtime-egress",
            "image: python:3.12-slim\ncommand: [python3]\nfileName: main.py\negress: {allowed: true, allowedHosts: [pypi.org]}")),
        ("runtime-egress-cidrs", "CodeRuntime", BadInputs.Runtime("good-runtime-egress-cidrs",
            "image: python:3.12-slim\ncommand: [python3]\nfileName: main.py\negress: {allowed: true, allowedHosts: [pypi.internal.example], allowedCIDRs: [10.20.0.0/16, \"fd00:1234::/32\"]}")),
    ];

    public static TheoryData<string> Names() => [.. All.Select(i => i.Name)];

    public static (string Name, string Kind, string Manifest) Get(string name) => All.Single(i => i.Name == name);

    private static (string, string, string) Cx(string name, string spec) =>
        (name, "CodeExecution", BadInputs.Execution("good-" + name, spec));
}
