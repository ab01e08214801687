using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>A container's environment, command and args as the kubelet resolves them ($(VAR) references expanded).</summary>
internal static partial class ContainerCommand
{
    /// <summary>The container's env as name/value pairs, in order. valueFrom and envFrom are refused.</summary>
    public static List<KeyValuePair<string, string>> Environment(V1Container container)
    {
        if (container.EnvFrom is { Count: > 0 })
        {
            throw new UnsupportedPodException($"container {container.Name}: envFrom is not supported by the simulated kubelet");
        }

        var env = new List<KeyValuePair<string, string>>();
        foreach (var variable in container.Env ?? [])
        {
            if (variable.ValueFrom is not null)
            {
                throw new UnsupportedPodException($"container {container.Name}: env {variable.Name} uses valueFrom, which the simulated kubelet does not support");
            }

            env.Add(new(variable.Name, Expand(variable.Value ?? "", env)));
        }

        return env;
    }

    /// <summary>command followed by args, with $(VAR) expanded. There is no image entrypoint: command is required.</summary>
    public static List<string> Argv(V1Container container, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (container.Command is not { Count: > 0 })
        {
            throw new UnsupportedPodException($"container {container.Name}: command is required (the host filesystem stands in for the image, which has no entrypoint)");
        }

        return [.. container.Command.Concat(container.Args ?? []).Select(arg => Expand(arg, env))];
    }

    /// <summary>Expands $(NAME) to the value of an earlier variable, $$ to $, and leaves unknown references as they are.</summary>
    public static string Expand(string text, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        return Reference().Replace(text, match =>
        {
            if (match.Value == "$$")
            {
                return "$";
            }

            var name = match.Groups["name"].Value;
            for (var i = env.Count - 1; i >= 0; i--)
            {
                if (env[i].Key == name)
                {
                    return env[i].Value;
                }
            }

            return match.Value;
        });
    }

    /// <summary>A readable one-line rendering of an argv, for logs and messages.</summary>
    public static string Describe(IEnumerable<string> argv)
    {
        var text = new StringBuilder();
        foreach (var arg in argv)
        {
            text.Append(text.Length == 0 ? "" : " ").Append(arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg);
        }

        return text.ToString();
    }

    [GeneratedRegex(@"\$\$|\$\((?<name>[A-Za-z_][A-Za-z0-9_.-]*)\)")]
    private static partial Regex Reference();
}
