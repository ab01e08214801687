// Entry point. The operator host (watch, reconcile, leader election, health, metrics) is wired in OperatorHost.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => "ok");
await app.RunAsync();
