using System.CommandLine;
using System.Net.Http;
using CodeExec.Cli.Cluster;
using CodeExec.Cli.Commands;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;

namespace CodeExec.Cli;

/// <summary>
/// <c>kubectl codeexec</c>: the command tree (run, get, logs, delete, runtimes) on System.CommandLine, and the one
/// place failures become a line on stderr and an exit code (<see cref="ExitCodes"/>).
/// </summary>
internal static class CliApplication
{
    /// <summary>Parses <paramref name="args"/> and runs the command; returns the process exit code.</summary>
    /// <param name="args">The arguments after the program name, as kubectl passes them to the plugin.</param>
    /// <param name="console">The streams and environment to use.</param>
    /// <param name="interrupted">Cancelled on Ctrl-C.</param>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken interrupted)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("kubectl codeexec: run code in codeexec-operator sandboxes and read the results.")
        {
            globals.Namespace,
            globals.Kubeconfig,
            globals.Context,
            RunCommand.Create(globals, console),
            GetCommand.Create(globals, console),
            LogsCommand.Create(globals, console),
            DeleteCommand.Create(globals, console),
            RuntimesCommand.Create(globals, console),
        };

        // No response files: "@name" is a file name (code may live in such a file), as kubectl reads it.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync("error: " + error.Message);
            }

            await console.Error.WriteLineAsync("See 'kubectl codeexec --help'.");
            return parsed.CommandResult.Command.Name == RunCommand.Name ? ExitCodes.Failure : ExitCodes.Error;
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // Ctrl-C is Program's: it cancels `interrupted`, and run cleans up before it returns 130.
            ProcessTerminationTimeout = null,
        };
        return await parsed.InvokeAsync(invocation, interrupted);
    }

    /// <summary>
    /// Runs a command's body, turning failures into one line on stderr: the API server's refusal, an unreachable
    /// server, a bad kubeconfig or a <see cref="CliException"/> give <paramref name="failureCode"/>; Ctrl-C gives 130.
    /// </summary>
    public static async Task<int> GuardAsync(CliConsole console, int failureCode, Func<Task<int>> body, CancellationToken interrupted)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (CliException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
        }
        catch (HttpOperationException e)
        {
            await console.Error.WriteLineAsync(ApiErrors.Describe(e));
        }
        catch (KubernetesException e)
        {
            await console.Error.WriteLineAsync(ApiErrors.Describe(e));
        }
        catch (HttpRequestException e)
        {
            await console.Error.WriteLineAsync("error: cannot reach the API server: " + e.Message);
        }
        catch (KubeConfigException e)
        {
            await console.Error.WriteLineAsync("error: kubeconfig: " + e.Message);
        }
        catch (IOException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
        }

        return failureCode;
    }
}

/// <summary>The options every command takes, as kubectl names them.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Namespace { get; } = new("--namespace", "-n")
    {
        Description = "The namespace (default: the kubeconfig context's namespace, else default)",
        Recursive = true,
    };

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "The kubeconfig file (default: KUBECONFIG, else ~/.kube/config)",
        Recursive = true,
    };

    public Option<string?> Context { get; } = new("--context")
    {
        Description = "The kubeconfig context (default: its current-context)",
        Recursive = true,
    };

    /// <summary>Connects to the cluster the parsed options name.</summary>
    public ClusterConnection Connect(ParseResult parsed, CliConsole console) =>
        ClusterConnection.Open(console, parsed.GetValue(Kubeconfig), parsed.GetValue(Context), parsed.GetValue(Namespace));
}
