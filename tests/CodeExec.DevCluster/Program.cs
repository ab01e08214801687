using System.Runtime.InteropServices;
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

if (!OperatingSystem.IsLinux())
{
    await Console.Error.WriteLineAsync("codeexec-devcluster runs Linux sandboxes (runsc or local processes) and needs Linux");
    return 2;
}

// Ctrl+C and SIGTERM stop the run cleanly: sandboxes killed, the operator stopped, the work folder removed.
using var stop = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

return await new DemoRun(options, Console.Out, TimeProvider.System).RunAsync(stop.Token);

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
