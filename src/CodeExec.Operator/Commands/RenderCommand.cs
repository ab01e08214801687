using System.CommandLine;
using System.Net;
using System.Text.Json.Serialization;
using CodeExec.Api;
using CodeExec.Api.Validation;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using k8s;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;

namespace CodeExec.Operator.Commands;

/// <summary>
/// <c>codeexec-operator render -f execution.yaml --runtime runtime.yaml [--set key=value]... [--code-file path]
/// [--address host=ip]...</c>: prints, without any cluster, the children reconcile would create for the execution, as
/// YAML documents in creation order (NetworkPolicy, code ConfigMap or Secret, Pod). It calls the same admission and
/// renderer as reconcile, so the output is what the operator creates. Bad input: a message on stderr, exit code 2,
/// nothing on stdout.
/// </summary>
internal static class RenderCommand
{
    public const string Name = "render";
    public const int BadInputExitCode = 2;

    private const string Usage =
        "usage: codeexec-operator render -f EXECUTION.yaml --runtime RUNTIME.yaml [--set KEY=VALUE]... [--code-file PATH] [--address HOST=IP]...\n"
        + "  --set        a sandbox option (as in the Sandbox configuration section), e.g. --set CollectorImage=registry/op:1.0\n"
        + "  --code-file  the code, when the execution reads it from a ConfigMap or Secret (codeFrom)\n"
        + "  --address    an address of an egress host (repeat); hosts without one are resolved with DNS";

    /// <summary>Runs the command; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var yaml = await RenderAsync(args, cancellationToken);
            await stdout.WriteAsync(yaml);
            await stdout.FlushAsync(cancellationToken);
            return 0;
        }
        catch (RenderInputException e)
        {
            await stderr.WriteLineAsync("render: " + e.Message);
            return BadInputExitCode;
        }
    }

    /// <summary>The YAML documents for <paramref name="args"/>; throws <see cref="RenderInputException"/> on bad input.</summary>
    internal static async Task<string> RenderAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = ParseArguments(args);
        var execution = Load<CodeExecution>(await ReadFileAsync(parsed.ExecutionFile, "-f", cancellationToken), parsed.ExecutionFile, ApiConstants.CodeExecutionKind);
        var runtime = Load<CodeRuntime>(await ReadFileAsync(parsed.RuntimeFile, "--runtime", cancellationToken), parsed.RuntimeFile, ApiConstants.CodeRuntimeKind);
        var options = BindOptions(parsed.Settings);
        Validate(parsed.ExecutionFile, CodeExecutionValidator.Validate(execution), "the API server would refuse the CodeExecution");
        Validate(parsed.RuntimeFile, CodeRuntimeValidator.Validate(runtime), "the API server would refuse the CodeRuntime");

        if (string.IsNullOrEmpty(execution.Metadata.Name))
        {
            throw new RenderInputException($"{parsed.ExecutionFile}: metadata.name is required");
        }

        if (execution.Spec.Runtime is { } asked && !string.Equals(asked, runtime.Metadata.Name, StringComparison.Ordinal))
        {
            throw new RenderInputException($"the execution asks for the runtime \"{asked}\" but {parsed.RuntimeFile} is the runtime \"{runtime.Metadata.Name}\"");
        }

        var resolved = await ResolveHostsAsync(Admission.HostsToResolve(execution, runtime, options), parsed.Addresses, cancellationToken);
        var admission = Admission.Admit(execution, runtime, options, resolved);
        if (!admission.IsAdmitted)
        {
            throw new RenderInputException("the execution would be Rejected:\n  " + string.Join("\n  ", admission.Errors));
        }

        var code = ResolvedCode.FromInline(execution) ?? await ReadCodeFileAsync(execution, parsed.CodeFile, cancellationToken);
        var children = SandboxRenderer.Render(new SandboxRequest(execution, runtime, admission.Limits!, code, admission.Egress), options);
        return string.Concat(children.InCreationOrder.Select(child => "---\n" + KubernetesYaml.Serialize(child).TrimEnd('\n') + "\n"));
    }

    private static void Validate(string path, IReadOnlyList<ValidationError> errors, string what)
    {
        if (errors.Count > 0)
        {
            throw new RenderInputException($"{path}: {what}:\n  " + string.Join("\n  ", errors));
        }
    }

    private sealed record Arguments(
        string ExecutionFile,
        string RuntimeFile,
        string? CodeFile,
        Dictionary<string, string?> Settings,
        Dictionary<string, List<IPAddress>> Addresses);

    /// <summary>
    /// Parses the arguments with System.CommandLine: <c>-f/--filename</c> and <c>--runtime</c> required,
    /// <c>--set</c> and <c>--address</c> repeatable KEY=VALUE pairs. <c>-h</c>/<c>--help</c>, a missing or unknown
    /// argument: <see cref="RenderInputException"/> with the usage. <c>@file</c> is a path, not a response file.
    /// </summary>
    private static Arguments ParseArguments(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            throw new RenderInputException(Usage);
        }

        var filename = new Option<string>("--filename", "-f") { Required = true };
        var runtimeFile = new Option<string>("--runtime") { Required = true };
        var codeFile = new Option<string?>("--code-file");
        var set = new Option<string[]>("--set") { DefaultValueFactory = _ => [] };
        var address = new Option<string[]>("--address") { DefaultValueFactory = _ => [] };
        var command = new Command(Name) { filename, runtimeFile, codeFile, set, address };
        var parsed = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            throw new RenderInputException(string.Join("\n", parsed.Errors.Select(e => e.Message)) + "\n" + Usage);
        }

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in parsed.GetValue(set) ?? [])
        {
            var (key, setting) = SplitPair(value, "--set");
            var name = key.StartsWith(SandboxOptions.SectionName + ":", StringComparison.OrdinalIgnoreCase) ? key[(SandboxOptions.SectionName.Length + 1)..] : key;
            settings[name] = setting;
        }

        var addresses = new Dictionary<string, List<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in parsed.GetValue(address) ?? [])
        {
            var (host, text) = SplitPair(value, "--address");
            if (!IPAddress.TryParse(text, out var ip))
            {
                throw new RenderInputException($"--address {value}: '{text}' is not an IP address");
            }

            if (!addresses.TryGetValue(host, out var list))
            {
                addresses[host] = list = [];
            }

            list.Add(ip);
        }

        return new Arguments(parsed.GetRequiredValue(filename), parsed.GetRequiredValue(runtimeFile), parsed.GetValue(codeFile), settings, addresses);
    }

    private static (string Key, string Value) SplitPair(string value, string flag)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new RenderInputException($"{flag} {value}: expected KEY=VALUE");
        }

        return (value[..equals], value[(equals + 1)..]);
    }

    private static async Task<string> ReadFileAsync(string path, string flag, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RenderInputException($"{flag} {path}: cannot read the file: {e.Message}");
        }
    }

    private static T Load<T>(string yaml, string path, string kind)
        where T : class, IKubernetesObject
    {
        try
        {
            // The kind first (leniently), so a wrong kind is named as such rather than as unknown fields.
            var header = KubernetesYaml.Deserialize<TypeHeader>(yaml, strict: false)
                ?? throw new RenderInputException($"{path}: the file is empty");
            if (header.Kind != kind || header.ApiVersion != ApiConstants.ApiVersion)
            {
                throw new RenderInputException($"{path}: expected apiVersion {ApiConstants.ApiVersion} kind {kind}, found apiVersion {header.ApiVersion} kind {header.Kind}");
            }

            return KubernetesYaml.Deserialize<T>(yaml, strict: true);
        }
        catch (YamlException e)
        {
            throw new RenderInputException($"{path}: not a valid {kind} YAML document: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
        }
    }

    private static SandboxOptions BindOptions(Dictionary<string, string?> settings)
    {
        var options = new SandboxOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build()
                .Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new RenderInputException("--set: " + e.Message);
        }

        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new RenderInputException("--set: " + string.Join("; ", problems));
        }

        return options;
    }

    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>> ResolveHostsAsync(
        IReadOnlyList<string> hosts, Dictionary<string, List<IPAddress>> given, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            if (given.TryGetValue(host, out var addresses))
            {
                resolved[host] = addresses;
                continue;
            }

            if ((await new DnsEgressResolver().ResolveAsync([host], cancellationToken))[host] is { Count: > 0 } found)
            {
                resolved[host] = found;
            }
        }

        return resolved;
    }

    private static async Task<ResolvedCode> ReadCodeFileAsync(CodeExecution execution, string? codeFile, CancellationToken cancellationToken)
    {
        var from = execution.Spec.CodeFrom!;
        var reference = from.SecretKeyRef ?? from.ConfigMapKeyRef!;
        var source = from.SecretKeyRef is not null ? "Secret" : "ConfigMap";
        if (codeFile is null)
        {
            throw new RenderInputException($"the code is in the {source} {reference.Name} key {reference.Key}, which render cannot read without a cluster: pass --code-file");
        }

        return new ResolvedCode(await ReadFileAsync(codeFile, "--code-file", cancellationToken), ResolvedCode.KindOf(execution));
    }
}

/// <summary>apiVersion and kind of a document, read before the document itself.</summary>
internal sealed class TypeHeader : IKubernetesObject
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }
}

/// <summary>Input the render command cannot use; its message is printed on stderr.</summary>
internal sealed class RenderInputException(string message) : Exception(message);
