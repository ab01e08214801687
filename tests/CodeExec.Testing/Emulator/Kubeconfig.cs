using System.Globalization;

namespace CodeExec.Testing.Emulator;

/// <summary>Writes a kubeconfig file for a plain-HTTP API server without credentials (the emulator).</summary>
public static class Kubeconfig
{
    /// <summary>The cluster, user and context name in the written file.</summary>
    public const string ContextName = "codeexec-emulator";

    /// <summary>
    /// The bearer token in the written file. The emulator does not authenticate, but KubernetesClient refuses a
    /// kubeconfig user without any credentials.
    /// </summary>
    public const string Token = "codeexec-emulator";

    /// <summary>Writes a kubeconfig at <paramref name="path"/> whose current context talks to <paramref name="server"/>.</summary>
    public static void Write(string path, Uri server, string defaultNamespace = "default")
    {
        ArgumentNullException.ThrowIfNull(server);
        var address = server.GetLeftPart(UriPartial.Authority);
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {ContextName}
              cluster:
                server: {address}
            users:
            - name: {ContextName}
              user:
                token: {Token}
            contexts:
            - name: {ContextName}
              context:
                cluster: {ContextName}
                user: {ContextName}
                namespace: {defaultNamespace}
            current-context: {ContextName}

            """);
        File.WriteAllText(path, text);
    }
}
