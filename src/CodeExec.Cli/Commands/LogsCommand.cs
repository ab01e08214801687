using System.CommandLine;
using CodeExec.Api;
using CodeExec.Cli.Formatting;

namespace CodeExec.Cli.Commands;

/// <summary><c>kubectl codeexec logs NAME</c>: status.stdout to stdout and status.stderr to stderr, as the code wrote them.</summary>
internal static class LogsCommand
{
    public static Command Create(GlobalOptions globals, CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The CodeExecution" };
        var command = new Command("logs", "Print a finished CodeExecution's stdout and stderr") { name };
        command.SetAction((parsed, interrupted) => CliApplication.GuardAsync(console, ExitCodes.Error, async () =>
        {
            using var cluster = globals.Connect(parsed, console);
            var one = parsed.GetRequiredValue(name);
            var execution = await cluster.GetExecutionAsync(one, interrupted) ?? throw GetCommand.NotFound(one);
            if (!ExecutionPhase.IsFinal(execution.Status?.Phase))
            {
                throw new CliException($"codeexecution/{one} has no output yet (phase {execution.Status?.Phase ?? "unknown"}); the output is written when it finishes");
            }

            ExecutionOutput.Write(console, execution.Status);
            return ExitCodes.Success;
        }, interrupted));
        return command;
    }
}
