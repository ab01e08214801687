// Entry point: a small dispatcher. Subcommands first (`render`, `collect`); anything else runs the operator host
// (watch, reconcile, leader election, health, metrics), wired in Hosting/OperatorHost.
using CodeExec.Operator.Commands;
using CodeExec.Operator.Hosting;

if (args is [CollectCommand.Name, .. var collectArgs]) return await CollectCommand.RunAsync(collectArgs, Console.Out, Console.Error, CollectCommand.TerminationRequested());
if (args is [RenderCommand.Name, .. var renderArgs]) return await RenderCommand.RunAsync(renderArgs, Console.Out, Console.Error);

return await OperatorHost.RunAsync(args);
