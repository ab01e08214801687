using CodeExec.Operator.Hosting;

// A small dispatcher: subcommands (such as `render`) go first; anything else runs the operator host.
return await OperatorHost.RunAsync(args);
