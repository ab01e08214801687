using System.CommandLine;
using CodeExec.Api;

namespace CodeExec.Cli.Commands;

/// <summary><c>kubectl codeexec delete NAME...</c>: deletes each; one not found is reported and the rest still deleted (exit 1).</summary>
internal static class DeleteCommand
{
    public static Command Create(GlobalOptions globals, CliConsole console)
    {
        var names = new Argument<string[]>("name") { Description = "The CodeExecutions to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete CodeExecutions (the operator deletes their sandboxes)") { names };
        command.SetAction((parsed, interrupted) => CliApplication.GuardAsync(console, ExitCodes.Error, async () =>
        {
            using var cluster = globals.Connect(parsed, console);
            var exitCode = ExitCodes.Success;
            foreach (var name in parsed.GetRequiredValue(names))
            {
                if (await cluster.DeleteExecutionAsync(name, interrupted))
                {
                    await console.Out.WriteLineAsync($"codeexecution.{ApiConstants.Group} \"{name}\" deleted");
                }
                else
                {
                    await console.Error.WriteLineAsync($"Error from server (NotFound): codeexecutions.{ApiConstants.Group} \"{name}\" not found");
                    exitCode = ExitCodes.Error;
                }
            }

            return exitCode;
        }, interrupted));
        return command;
    }
}
