// Entry point. The operator host (watch, reconcile, leader election, health, metrics) is wired in OperatorHost.
using CodeExec.Operator.Commands;

if (args is [CollectCommand.Name, .. var collectArgs]) return await CollectCommand.RunAsync(collectArgs, Console.Out, Console.Error, CollectCommand.TerminationRequested());
if (args is [RenderCommand.Name, .. var renderArgs]) return await RenderCommand.RunAsync(renderArgs, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => "ok");
await app.RunAsync();
return 0;
