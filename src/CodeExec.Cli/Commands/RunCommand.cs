using System.CommandLine;
using System.Text;
using CodeExec.Api;
using CodeExec.Cli.Cluster;
using CodeExec.Cli.Formatting;
using k8s;

namespace CodeExec.Cli.Commands;

/// <summary>
/// <c>kubectl codeexec run FILE|-</c>: creates a CodeExecution with the code, waits for its final phase (progress on
/// stderr), prints the code's stdout and stderr as it wrote them, deletes the execution (unless --keep) and exits with
/// the code's exit code (or 124/125/126/130, see <see cref="ExitCodes"/>).
/// </summary>
internal static class RunCommand
{
    public const string Name = "run";

    /// <summary>How often the execution is read once watches have failed.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the deletion after Ctrl-C may take.</summary>
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(GlobalOptions globals, CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The code file, or - to read the code from standard input" };
        var runtime = new Option<string?>("--runtime", "-r") { Description = "The CodeRuntime (default: the cluster's default runtime)" };
        var timeout = new Option<string?>("--timeout") { Description = "Wall-clock limit, such as 30s, 2m or 1h30m (default: the runtime's)" };
        var stdin = new Option<string?>("--stdin") { Description = "A file whose text is the program's standard input" };
        var egress = new Option<string[]>("--egress")
        {
            Description = "A host name the code may reach over HTTP(S) through the egress proxy (repeatable; the runtime must allow it)",
            DefaultValueFactory = _ => [],
        };
        var name = new Option<string?>("--name") { Description = "The CodeExecution's name (default: generated, run-xxxxx)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the CodeExecution after printing its output (default: delete it)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines on stderr (only the code's stderr and warnings)" };
        var command = new Command(Name, "Run code in a sandbox, print its output and exit with its exit code")
        {
            file, runtime, timeout, stdin, egress, name, keep, quiet,
        };
        command.SetAction((parsed, interrupted) => CliApplication.GuardAsync(console, ExitCodes.Failure, async () =>
        {
            var path = parsed.GetRequiredValue(file);
            var request = new ExecutionRequest(
                await ReadCodeAsync(console, path, interrupted),
                parsed.GetValue(runtime),
                parsed.GetValue(timeout),
                parsed.GetValue(stdin) is { } stdinPath ? await ReadFileAsync(stdinPath, "--stdin", interrupted) : null,
                parsed.GetValue(egress) ?? [],
                parsed.GetValue(name));
            using var cluster = globals.Connect(parsed, console);
            var progress = parsed.GetValue(quiet) ? TextWriter.Null : console.Error;
            return await RunAsync(console, progress, cluster, request, parsed.GetValue(keep), interrupted);
        }, interrupted));
        return command;
    }

    /// <summary>Creates the execution, waits, prints, cleans up; returns the exit code.</summary>
    public static async Task<int> RunAsync(CliConsole console, TextWriter progress, ClusterConnection cluster, ExecutionRequest request, bool keep,
        CancellationToken interrupted)
    {
        var execution = request.ToExecution(cluster.Namespace);
        var created = await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<CodeExecution>(execution, ApiConstants.Group,
            ApiConstants.Version, cluster.Namespace, ApiConstants.CodeExecutionPlural, cancellationToken: interrupted);
        var name = created.Metadata.Name;
        await progress.WriteLineAsync($"codeexecution/{name} created");

        string? shown = null;
        var waiter = new ExecutionWaiter(cluster, current =>
        {
            var phase = current.Status?.Phase;
            if (phase is not null && phase != shown && !ExecutionPhase.IsFinal(phase))
            {
                shown = phase;
                var message = string.IsNullOrEmpty(current.Status?.Message) ? "" : ": " + current.Status.Message;
                progress.WriteLine($"codeexecution/{name}: {phase}{message}");
            }
        }, PollInterval);

        CodeExecution final;
        try
        {
            final = await waiter.WaitAsync(created, interrupted);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync(keep
                ? $"interrupted: codeexecution/{name} kept"
                : await CleanUpAsync(cluster, name) ? $"interrupted: codeexecution/{name} deleted" : $"interrupted: codeexecution/{name} could not be deleted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (!keep && e is CliException or k8s.Autorest.HttpOperationException or HttpRequestException or KubernetesException or IOException)
        {
            // The wait failed (deleted meanwhile, the API server gone): do not leave the execution behind.
            await CleanUpAsync(cluster, name);
            throw;
        }

        var status = final.Status!;
        ExecutionOutput.Write(console, status);
        var exitCode = ExitCodes.Of(status);
        if (Ending(name, status) is { } ending)
        {
            console.StartOwnLine();
            await console.Error.WriteLineAsync(ending);
        }

        if (!keep && !await CleanUpAsync(cluster, name))
        {
            console.StartOwnLine();
            await console.Error.WriteLineAsync($"warning: codeexecution/{name} could not be deleted");
        }

        return exitCode;
    }

    /// <summary>
    /// The line on stderr after the output when the code did not simply exit: the phase, reason and the operator's
    /// message. Null for Succeeded and for Failed with reason Error (the exit code says it all).
    /// </summary>
    public static string? Ending(string name, CodeExecutionStatus status) => status switch
    {
        { Phase: ExecutionPhase.Succeeded } => null,
        { Phase: ExecutionPhase.Failed, Reason: ExecutionReason.Error, ExitCode: not null and not 0 } => null,
        _ => $"codeexecution/{name}: {status.Phase} ({status.Reason}): {status.Message}",
    };

    private static async Task<bool> CleanUpAsync(ClusterConnection cluster, string name)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await cluster.DeleteExecutionAsync(name, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string> ReadCodeAsync(CliConsole console, string path, CancellationToken cancellationToken)
    {
        if (path != "-")
        {
            return await ReadFileAsync(path, "the code file", cancellationToken);
        }

        using var reader = new StreamReader(console.Input, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static async Task<string> ReadFileAsync(string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {what} {path}: {e.Message}", e);
        }
    }
}
