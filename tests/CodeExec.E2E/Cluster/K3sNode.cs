namespace CodeExec.E2E.Cluster;

/// <summary>
/// What a K3s node needs to run gVisor sandboxes: gVisor's two binaries on containerd's PATH and containerd runtime
/// handler <c>runsc</c> (the handler of the chart's RuntimeClass <c>gvisor</c>, values runtimeClass.handler).
/// </summary>
/// <remarks>
/// K3s renders containerd's config from a Go template. When <c>config-v3.toml.tmpl</c> (containerd 2, config version 3)
/// exists in <see cref="ContainerdTemplateDirectory"/> it is used, else <c>config.toml.tmpl</c> (containerd 1.7, version
/// 2), else the built-in one; <c>{{ template "base" . }}</c> expands to the built-in template of that version, so a
/// user template only appends (k3s-io/k3s pkg/agent/containerd/config.go, writeContainerdConfig and
/// templateGenerations; docs: "Advanced Options", "Configuring containerd", "Base template", k3s v1.24.17 and later).
/// K3s detects crun, nvidia and WASI shims by itself (pkg/agent/containerd/runtimes.go) but not gVisor, hence the
/// template. Both files are written so that K3s builds with either containerd take the handler. The runtime type
/// <c>io.containerd.runsc.v1</c> makes containerd start <c>containerd-shim-runsc-v1</c> from its PATH, which runs
/// <c>runsc</c> (gVisor docs, "Containerd Quick Start").
/// </remarks>
public static class K3sNode
{
    /// <summary>The containerd runtime handler name the chart's RuntimeClass uses.</summary>
    public const string RuntimeHandler = "runsc";

    /// <summary>gVisor's runtime binary.</summary>
    public const string Runsc = "runsc";

    /// <summary>gVisor's containerd shim (not in Debian's runsc package; part of gVisor's releases).</summary>
    public const string RunscShim = "containerd-shim-runsc-v1";

    /// <summary>Where K3s looks for containerd config templates.</summary>
    public const string ContainerdTemplateDirectory = "/var/lib/rancher/k3s/agent/etc/containerd";

    /// <summary>A folder on the node's PATH (rancher/k3s images keep Docker's default PATH after K3s's own folders).</summary>
    public const string BinaryDirectory = "/usr/local/bin";

    /// <summary>The containerd socket of K3s, for <c>ctr --address</c>.</summary>
    public const string ContainerdSocket = "/run/k3s/containerd/containerd.sock";

    /// <summary><c>config-v3.toml.tmpl</c>: the base template plus the runsc handler in the CRI runtime plugin of containerd 2.</summary>
    public static string ContainerdTemplateV3 => Template("io.containerd.cri.v1.runtime");

    /// <summary><c>config.toml.tmpl</c>: the same for containerd 1.7, whose CRI plugin is io.containerd.grpc.v1.cri.</summary>
    public static string ContainerdTemplateV2 => Template("io.containerd.grpc.v1.cri");

    private static string Template(string criPlugin) => $$$"""
        {{ template "base" . }}

        [plugins."{{{criPlugin}}}".containerd.runtimes.{{{RuntimeHandler}}}]
          runtime_type = "io.containerd.runsc.v1"

        """;

    /// <summary>
    /// The OCI platform (<c>linux/amd64</c>, <c>linux/arm64</c>) of a node whose <c>uname -m</c> is
    /// <paramref name="machine"/> (<c>x86_64</c>, <c>aarch64</c>; <c>amd64</c> and <c>arm64</c> are taken too), else
    /// null: the architectures gVisor publishes releases for.
    /// </summary>
    public static string? Platform(string machine) => machine switch
    {
        "x86_64" or "amd64" => "linux/amd64",
        "aarch64" or "arm64" => "linux/arm64",
        _ => null,
    };

    /// <summary>
    /// The folder holding both gVisor binaries: <paramref name="configured"/> (CODEEXEC_E2E_GVISOR_DIR) when given,
    /// else the first folder of <paramref name="path"/> (PATH) holding both. Returns null and why when there is none.
    /// </summary>
    public static (string? Directory, string? Missing) FindGVisor(string? configured, string? path)
    {
        if (configured is not null)
        {
            var missing = new[] { Runsc, RunscShim }.Where(name => !File.Exists(Path.Combine(configured, name))).ToList();
            return missing.Count == 0
                ? (configured, null)
                : (null, $"CODEEXEC_E2E_GVISOR_DIR={configured} lacks {string.Join(" and ", missing)}");
        }

        var folders = (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var both = folders.FirstOrDefault(folder => File.Exists(Path.Combine(folder, Runsc)) && File.Exists(Path.Combine(folder, RunscShim)));
        return both is not null
            ? (both, null)
            : (null, $"no folder on PATH holds both gVisor's {Runsc} and {RunscShim} (Debian's runsc package, which hack/runsc.sh "
                + "fetches, has no shim): install a gVisor release (gvisor.dev/docs/user_guide/install) or set CODEEXEC_E2E_GVISOR_DIR");
    }
}
