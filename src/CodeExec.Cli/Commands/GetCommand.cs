using System.CommandLine;
using System.Globalization;
using CodeExec.Api;
using CodeExec.Cli.Cluster;
using CodeExec.Cli.Formatting;
using k8s;

namespace CodeExec.Cli.Commands;

/// <summary>
/// <c>kubectl codeexec get [NAME]</c>: the namespace's CodeExecutions as a table with the columns of <c>kubectl get cx</c>
/// (the CRD's additionalPrinterColumns: NAME RUNTIME PHASE EXIT DURATION AGE), or one execution's summary.
/// </summary>
internal static class GetCommand
{
    public static readonly string[] Columns = ["NAME", "RUNTIME", "PHASE", "EXIT", "DURATION", "AGE"];

    public static Command Create(GlobalOptions globals, CliConsole console)
    {
        var name = new Argument<string?>("name") { Description = "One CodeExecution to describe (default: list them all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("get", "List CodeExecutions, or summarize one") { name };
        command.SetAction((parsed, interrupted) => CliApplication.GuardAsync(console, ExitCodes.Error, async () =>
        {
            using var cluster = globals.Connect(parsed, console);
            var now = DateTime.UtcNow;
            if (parsed.GetValue(name) is { } one)
            {
                var execution = await cluster.GetExecutionAsync(one, interrupted) ?? throw NotFound(one);
                await console.Out.WriteAsync(Summary(execution, now));
                return ExitCodes.Success;
            }

            var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<CodeExecutionList>(ApiConstants.Group, ApiConstants.Version,
                cluster.Namespace, ApiConstants.CodeExecutionPlural, cancellationToken: interrupted);
            if (list.Items.Count == 0)
            {
                await console.Error.WriteLineAsync($"No resources found in {cluster.Namespace} namespace.");
                return ExitCodes.Success;
            }

            TextTable.Write(console.Out, Columns, list.Items.OrderBy(e => e.Metadata.Name, StringComparer.Ordinal).Select(e => Row(e, now)));
            return ExitCodes.Success;
        }, interrupted));
        return command;
    }

    /// <summary>
    /// The table row of <paramref name="execution"/> at <paramref name="now"/> (UTC); empty cells for absent fields, as
    /// kubectl prints them. RUNTIME is the runtime the operator admitted it with (status.runtime), so an execution that
    /// named none shows the default runtime it got; spec.runtime until then.
    /// </summary>
    public static string[] Row(CodeExecution execution, DateTime now) =>
    [
        execution.Metadata.Name,
        execution.Status?.Runtime ?? execution.Spec.Runtime ?? "",
        execution.Status?.Phase ?? "",
        execution.Status?.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "",
        execution.Status?.Duration ?? "",
        execution.Metadata.CreationTimestamp is { } created ? HumanDuration.Format(now - created.ToUniversalTime()) : "<unknown>",
    ];

    /// <summary>One execution in "Field: value" lines, absent fields left out.</summary>
    public static string Summary(CodeExecution execution, DateTime now)
    {
        var status = execution.Status;
        var lines = new List<(string Field, string? Value)>
        {
            ("Name", execution.Metadata.Name),
            ("Namespace", execution.Metadata.NamespaceProperty),
            ("Runtime", status?.Runtime ?? execution.Spec.Runtime ?? "(default)"),
            ("Phase", status?.Phase ?? "(not yet seen by the operator)"),
            ("Reason", status?.Reason),
            ("Message", status?.Message),
            ("Exit code", status?.ExitCode?.ToString(CultureInfo.InvariantCulture)),
            ("Duration", status?.Duration),
            ("Age", execution.Metadata.CreationTimestamp is { } created ? HumanDuration.Format(now - created.ToUniversalTime()) : null),
            ("Image", status?.Image),
            ("Pod", status?.PodName),
            ("Stdout", StreamSummary(status?.StdoutBytes, status?.StdoutTruncated, status?.StdoutEncoding)),
            ("Stderr", StreamSummary(status?.StderrBytes, status?.StderrTruncated, status?.StderrEncoding)),
        };
        var present = lines.Where(l => !string.IsNullOrEmpty(l.Value)).ToList();
        var width = present.Max(l => l.Field.Length) + 2;
        return string.Concat(present.Select(l => (l.Field + ":").PadRight(width) + l.Value + "\n"));
    }

    public static CliException NotFound(string name) =>
        new($"codeexecutions.{ApiConstants.Group} \"{name}\" not found");

    private static string? StreamSummary(long? bytes, bool? truncated, string? encoding) => bytes is { } b
        ? string.Create(CultureInfo.InvariantCulture, $"{b} bytes{(truncated == true ? ", truncated" : "")}{(encoding == "base64" ? ", binary (base64)" : "")} (kubectl codeexec logs)")
        : null;
}
