using CodeExec.Operator.Commands;
using CodeExec.Operator.Hosting;

// A small dispatcher: subcommands go first; anything else runs the operator host.
if (args is [CollectCommand.Name, .. var collectArgs])
{
    return await CollectCommand.RunAsync(collectArgs, Console.Out, Console.Error, CollectCommand.TerminationRequested());
}

if (args is [RenderCommand.Name, .. var renderArgs])
{
    return await RenderCommand.RunAsync(renderArgs, Console.Out, Console.Error);
}

return await OperatorHost.RunAsync(args);
