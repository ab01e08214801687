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
