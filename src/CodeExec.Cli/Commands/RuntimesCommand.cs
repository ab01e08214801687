using System.CommandLine;
using CodeExec.Api;
using CodeExec.Cli.Formatting;
using k8s;

namespace CodeExec.Cli.Commands;

/// <summary><c>kubectl codeexec runtimes</c>: the cluster's CodeRuntimes with their image, default limits and egress policy.</summary>
internal static class RuntimesCommand
{
    public static readonly string[] Columns = ["NAME", "DEFAULT", "IMAGE", "TIMEOUT", "CPU", "MEMORY", "EGRESS"];

    public static Command Create(GlobalOptions globals, CliConsole console)
    {
        var command = new Command("runtimes", "List the CodeRuntimes code can run with");
        command.SetAction((parsed, interrupted) => CliApplication.GuardAsync(console, ExitCodes.Error, async () =>
        {
            using var cluster = globals.Connect(parsed, console);
            var list = await cluster.Client.CustomObjects.ListClusterCustomObjectAsync<CodeRuntimeList>(ApiConstants.Group, ApiConstants.Version,
                ApiConstants.CodeRuntimePlural, cancellationToken: interrupted);
            if (list.Items.Count == 0)
            {
                await console.Error.WriteLineAsync("No resources found");
                return ExitCodes.Success;
            }

            TextTable.Write(console.Out, Columns, list.Items.OrderBy(r => r.Metadata.Name, StringComparer.Ordinal).Select(Row));
            return ExitCodes.Success;
        }, interrupted));
        return command;
    }

    /// <summary>
    /// The row of <paramref name="runtime"/>: DEFAULT is yes for the runtime annotated codeexec.dev/is-default-runtime=true;
    /// TIMEOUT, CPU and MEMORY are its default limits (empty when it sets none); EGRESS is no, or the hosts it allows.
    /// </summary>
    public static string[] Row(CodeRuntime runtime)
    {
        var limits = runtime.Spec.DefaultLimits;
        var isDefault = runtime.Metadata.Annotations is { } annotations
            && annotations.TryGetValue(ApiConstants.DefaultRuntimeAnnotation, out var value) && value == "true";
        var egress = runtime.Spec.Egress is { Allowed: true } policy
            ? (policy.AllowedHosts is { Count: > 0 } hosts ? string.Join(",", hosts) : "yes")
            : "no";
        return
        [
            runtime.Metadata.Name,
            isDefault ? "yes" : "",
            runtime.Spec.Image,
            limits?.TimeoutSeconds is { } seconds ? HumanDuration.Format(TimeSpan.FromSeconds(seconds)) : "",
            limits?.Cpu?.ToString() ?? "",
            limits?.Memory?.ToString() ?? "",
            egress,
        ];
    }
}
