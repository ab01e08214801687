using System.Text;
using System.Text.RegularExpressions;
using CodeExec.DevCluster.Cluster;

namespace CodeExec.E2E.Cluster;

/// <summary>The suite's settings and K3s node files, without a cluster.</summary>
public sealed class E2ESettingsTests
{
    private static E2ESettings Read(params (string Name, string Value)[] variables) =>
        E2ESettings.Read(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void Nothing_set_means_helm_mode_K3s_allowed_and_no_image()
    {
        var settings = Read();

        Assert.Equal((null, OperatorMode.Helm, null, true, E2ESettings.DefaultK3sImage),
            (settings.Kubeconfig, settings.Operator, settings.Image, settings.K3sAllowed, settings.K3sImage));
        Assert.Empty(settings.OperatorSettings);
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var settings = Read(
            ("KUBECONFIG", $"/a/config{Path.PathSeparator}/b/config"),
            ("CODEEXEC_E2E_OPERATOR", "in-process"),
            ("CODEEXEC_E2E_IMAGE", "localhost:5000/codeexec-operator:dev"),
            ("CODEEXEC_E2E_IMAGE_ARCHIVE", "/tmp/image.tar"),
            ("CODEEXEC_E2E_K3S", "0"),
            ("CODEEXEC_E2E_K3S_IMAGE", "rancher/k3s:v1.32.5-k3s1"),
            ("CODEEXEC_E2E_GVISOR_DIR", "/opt/gvisor"),
            ("CODEEXEC_E2E_COLLECTOR_COMMAND", "/usr/bin/dotnet /x/codeexec-operator.dll collect"),
            ("CODEEXEC_E2E_OPERATOR_SETTINGS", "Sandbox:CollectorCpu=1 Sandbox:CollectorMemory=256Mi"));

        Assert.Equal("/a/config", settings.Kubeconfig);
        Assert.Equal(OperatorMode.InProcess, settings.Operator);
        Assert.Equal(new ImageReference("localhost:5000/codeexec-operator", "dev"), settings.Image);
        Assert.Equal(("/tmp/image.tar", false, "rancher/k3s:v1.32.5-k3s1", "/opt/gvisor"),
            (settings.ImageArchive, settings.K3sAllowed, settings.K3sImage, settings.GVisorDirectory));
        Assert.Equal(["/usr/bin/dotnet", "/x/codeexec-operator.dll", "collect"], settings.CollectorCommand);
        Assert.Equal(new Dictionary<string, string> { ["Sandbox:CollectorCpu"] = "1", ["Sandbox:CollectorMemory"] = "256Mi" }, settings.OperatorSettings);
    }

    [Theory]
    [InlineData("CODEEXEC_E2E_OPERATOR", "deployment", "expected helm or in-process")]
    [InlineData("CODEEXEC_E2E_K3S", "yes", "expected 0 or 1")]
    [InlineData("CODEEXEC_E2E_OPERATOR_SETTINGS", "Sandbox:CollectorCpu", "is not Section:Key=value")]
    [InlineData("CODEEXEC_E2E_IMAGE", "codeexec-operator", "expected repository:tag")]
    public void A_value_the_suite_does_not_understand_is_refused_by_name(string name, string value, string message)
    {
        var refused = Assert.Throws<ArgumentException>(() => Read((name, value)));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("codeexec-operator:dev", "codeexec-operator", "dev", "docker.io/library/codeexec-operator:dev")]
    [InlineData("ghcr.io/acme/codeexec-operator:0.1.0", "ghcr.io/acme/codeexec-operator", "0.1.0", "ghcr.io/acme/codeexec-operator:0.1.0")]
    [InlineData("localhost:5000/codeexec-operator:dev", "localhost:5000/codeexec-operator", "dev", "localhost:5000/codeexec-operator:dev")]
    [InlineData("localhost/codeexec-operator:dev", "localhost/codeexec-operator", "dev", "localhost/codeexec-operator:dev")]
    [InlineData("acme/codeexec-operator:1", "acme/codeexec-operator", "1", "docker.io/acme/codeexec-operator:1")]
    public void Image_references_split_at_the_tag_and_normalise_as_containerd_stores_them(string reference, string repository, string tag, string containerdName)
    {
        var image = ImageReference.Parse(reference);

        Assert.Equal((repository, tag, containerdName, reference), (image.Repository, image.Tag, image.ContainerdName, image.ToString()));
    }

    [Theory]
    [InlineData("localhost:5000/codeexec-operator")]
    [InlineData("codeexec-operator:")]
    [InlineData("codeexec-operator@sha256:0123")]
    public void An_image_without_a_tag_or_with_a_digest_is_refused(string reference)
    {
        Assert.Throws<ArgumentException>(() => ImageReference.Parse(reference));
    }

    [Fact]
    public void The_containerd_templates_extend_the_base_and_add_handler_runsc_to_each_versions_CRI_plugin()
    {
        Assert.Equal("""
            {{ template "base" . }}

            [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]
              runtime_type = "io.containerd.runsc.v1"

            """, K3sNode.ContainerdTemplateV3);
        Assert.Contains("""[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]""", K3sNode.ContainerdTemplateV2, StringComparison.Ordinal);
        Assert.StartsWith("""{{ template "base" . }}""", K3sNode.ContainerdTemplateV2, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dev_cluster_script_writes_the_same_containerd_templates_as_K3sNode()
    {
        var script = File.ReadAllText(Path.Combine(RepositoryLayout.Find().Root, "hack", "dev-cluster.sh"));

        var templates = ScriptTemplates(script);

        Assert.Equal(["config-v3.toml.tmpl", "config.toml.tmpl"], templates.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(K3sNode.ContainerdTemplateV3, templates["config-v3.toml.tmpl"]);
        Assert.Equal(K3sNode.ContainerdTemplateV2, templates["config.toml.tmpl"]);
    }

    [Theory]
    [InlineData("io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images")]
    [InlineData("io.containerd.grpc.v1.cri", "io.containerd.grpc.v1.cri.x")]
    [InlineData("runtime_type = \"io.containerd.runsc.v1\"", "runtime_type = \"io.containerd.runc.v2\"")]
    public void A_changed_template_in_the_dev_cluster_script_no_longer_matches_K3sNode(string original, string changed)
    {
        var script = File.ReadAllText(Path.Combine(RepositoryLayout.Find().Root, "hack", "dev-cluster.sh"));
        Assert.Contains(original, script, StringComparison.Ordinal);

        var templates = ScriptTemplates(script.Replace(original, changed, StringComparison.Ordinal));

        Assert.False(templates["config-v3.toml.tmpl"] == K3sNode.ContainerdTemplateV3 && templates["config.toml.tmpl"] == K3sNode.ContainerdTemplateV2);
    }

    /// <summary>
    /// The files <paramref name="script"/> writes with <c>cat &gt;"&lt;folder&gt;/&lt;name&gt;" &lt;&lt;'TOML'</c> heredocs, by
    /// file name: the lines up to the closing <c>TOML</c> line, each ending with a newline.
    /// </summary>
    private static Dictionary<string, string> ScriptTemplates(string script)
    {
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var body = new StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            var match = Regex.Match(line, @"^\s*cat >""[^""]*/([^""/]+)"" <<'TOML'$");
            if (name is null && match.Success)
            {
                name = match.Groups[1].Value;
                body.Clear();
            }
            else if (name is not null && line == "TOML")
            {
                templates.Add(name, body.ToString());
                name = null;
            }
            else if (name is not null)
            {
                body.Append(line).Append('\n');
            }
        }

        Assert.Null(name); // an unterminated heredoc
        return templates;
    }

    [Fact]
    public void Node_architectures_map_to_OCI_platforms_and_an_unknown_one_to_none()
    {
        Assert.Equal(("linux/amd64", "linux/arm64", "linux/amd64", "linux/arm64", null),
            (K3sNode.Platform("x86_64"), K3sNode.Platform("aarch64"), K3sNode.Platform("amd64"), K3sNode.Platform("arm64"), K3sNode.Platform("riscv64")));
    }

    [Fact]
    public void GVisor_is_found_in_the_configured_folder_or_the_first_PATH_folder_holding_both_binaries()
    {
        var root = Directory.CreateTempSubdirectory("codeexec-e2e-gvisor-");
        try
        {
            var onlyRunsc = root.CreateSubdirectory("debian").FullName;
            var both = root.CreateSubdirectory("release").FullName;
            File.WriteAllText(Path.Combine(onlyRunsc, K3sNode.Runsc), "");
            File.WriteAllText(Path.Combine(both, K3sNode.Runsc), "");
            File.WriteAllText(Path.Combine(both, K3sNode.RunscShim), "");

            Assert.Equal((both, null), K3sNode.FindGVisor(null, onlyRunsc + Path.PathSeparator + both));
            Assert.Equal((both, null), K3sNode.FindGVisor(both, null));
            var (none, why) = K3sNode.FindGVisor(onlyRunsc, null);
            Assert.Null(none);
            Assert.Equal($"CODEEXEC_E2E_GVISOR_DIR={onlyRunsc} lacks containerd-shim-runsc-v1", why);
            Assert.Contains("no folder on PATH holds both", K3sNode.FindGVisor(null, onlyRunsc).Missing, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
