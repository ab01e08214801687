using CodeExec.Cli;

// kubectl codeexec: Ctrl-C cancels the command (run then deletes its execution unless --keep and exits 130).
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

var console = new CliConsole(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError())
{
    ErrorIsTerminal = !Console.IsErrorRedirected,
};
return await CliApplication.RunAsync(args, console, interrupt.Token);
