using CodeExec.DevCluster;

DevClusterOptions options;
try
{
    options = DevClusterOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"codeexec-devcluster: {e.Message}\n\n{DevClusterOptions.Usage}");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(DevClusterOptions.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await new DemoRun(options, Console.Out, TimeProvider.System).RunAsync(stop.Token);
