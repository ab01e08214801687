using CodeExec.Api;
using CodeExec.Cli.Formatting;
using k8s.Models;

namespace CodeExec.Cli.Commands;

/// <summary>What <c>kubectl codeexec run</c> asks for, from its command line.</summary>
/// <param name="Code">The source code (spec.code).</param>
/// <param name="Runtime">spec.runtime; null for the cluster's default runtime.</param>
/// <param name="Timeout">The --timeout text (spec.limits.timeoutSeconds), or null for the runtime's default.</param>
/// <param name="Stdin">spec.stdin, or null.</param>
/// <param name="Egress">Host names for spec.network (mode Egress, allowedHosts); empty for no network.</param>
/// <param name="Name">metadata.name, or null to let the server generate one from <see cref="GenerateNamePrefix"/>.</param>
internal sealed record ExecutionRequest(string Code, string? Runtime, string? Timeout, string? Stdin, IReadOnlyList<string> Egress, string? Name)
{
    /// <summary>metadata.generateName when no --name is given: the server appends five random characters.</summary>
    public const string GenerateNamePrefix = "run-";

    /// <summary>
    /// The CodeExecution to create in <paramref name="namespace"/>. The API server and the operator validate the rest
    /// (sizes, runtime, limits against its maxima); this refuses only what the command line cannot express.
    /// </summary>
    /// <exception cref="CliException">Empty code, a bad --timeout, or an --egress value with a port or scheme.</exception>
    public CodeExecution ToExecution(string @namespace)
    {
        if (Code.Length == 0)
        {
            throw new CliException("the code is empty");
        }

        foreach (var host in Egress)
        {
            if (host.Contains(':', StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
            {
                throw new CliException($"--egress {host}: give a host name only (spec.network.allowedHosts has no ports or schemes; the egress proxy allows HTTP and HTTPS to it)");
            }
        }

        var execution = new CodeExecution
        {
            Metadata = new V1ObjectMeta
            {
                Name = Name,
                GenerateName = Name is null ? GenerateNamePrefix : null,
                NamespaceProperty = @namespace,
            },
            Spec = new CodeExecutionSpec
            {
                Runtime = Runtime,
                Code = Code,
                Stdin = Stdin,
            },
        };
        if (Timeout is not null)
        {
            execution.Spec.Limits = new ExecutionLimits { TimeoutSeconds = TimeoutText.ParseSeconds(Timeout) };
        }

        if (Egress.Count > 0)
        {
            execution.Spec.Network = new NetworkAccess { Mode = NetworkModes.Egress, AllowedHosts = [.. Egress.Distinct(StringComparer.Ordinal)] };
        }

        return execution;
    }
}
