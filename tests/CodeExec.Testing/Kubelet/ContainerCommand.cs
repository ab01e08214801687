using System.Text;
using k8s.Models;

namespace CodeExec.Testing.Kubelet;

/// <summary>A container's environment, command and args as the kubelet resolves them ($(VAR) references expanded).</summary>
public static class ContainerCommand
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

    /// <summary>
    /// The kubelet's expansion of a command, arg or env value: <c>$(NAME)</c> becomes the value of the last earlier
    /// variable called NAME, or stays as written when there is none; <c>$$</c> becomes <c>$</c>; any other <c>$</c>
    /// (followed by another character, at the end, or an unclosed <c>$(</c>) stays as it is. Whatever lies between
    /// <c>$(</c> and the next <c>)</c> is the name, even when it holds <c>$</c> or <c>(</c>. A port of upstream
    /// <c>Expand</c> and <c>MappingFuncFor</c> (kubernetes third_party/forked/golang/expansion/expand.go), which
    /// <c>expandContainerCommandAndArgs</c> (pkg/kubelet/kuberuntime/kuberuntime_container.go) applies to command and
    /// args and <c>makeEnvironmentVariables</c> (pkg/kubelet/kubelet_pods.go) to env values.
    /// </summary>
    public static string Expand(string text, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(env);
        var result = new StringBuilder();
        var checkpoint = 0;
        for (var cursor = 0; cursor < text.Length; cursor++)
        {
            if (text[cursor] != '$' || cursor + 1 >= text.Length)
            {
                continue;
            }

            result.Append(text, checkpoint, cursor - checkpoint);
            var (read, isReference, advance) = ReadReference(text, cursor + 1);
            result.Append(isReference ? Lookup(read, env) : read);
            cursor += advance;
            checkpoint = cursor + 1;
        }

        return result.Append(text, checkpoint, text.Length - checkpoint).ToString();
    }

    /// <summary>Upstream <c>tryReadVariableName</c>: what follows a <c>$</c> at <paramref name="start"/>.</summary>
    private static (string Read, bool IsReference, int Advance) ReadReference(string text, int start)
    {
        switch (text[start])
        {
            case '$':
                return ("$", false, 1);
            case '(':
                var closer = text.IndexOf(')', start + 1);
                return closer < 0
                    ? ("$(", false, 1)
                    : (text[(start + 1)..closer], true, closer - start + 1);
            default:
                return ("$" + text[start], false, 1);
        }
    }

    /// <summary>Upstream <c>MappingFuncFor</c>: the last variable of that name, or the reference as written.</summary>
    private static string Lookup(string name, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        for (var i = env.Count - 1; i >= 0; i--)
        {
            if (env[i].Key == name)
            {
                return env[i].Value;
            }
        }

        return "$(" + name + ")";
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
}
