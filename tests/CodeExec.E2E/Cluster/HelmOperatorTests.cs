using CodeExec.DevCluster.Cluster;
using CodeExec.Testing.Tools;

namespace CodeExec.E2E.Cluster;

/// <summary>The helm command line the suite installs the chart with, rendered by the real helm without a cluster.</summary>
public sealed class HelmOperatorTests
{
    [Fact]
    public async Task The_install_arguments_pass_the_charts_schema_and_render_the_image_and_leave_out_existing_objects()
    {
        var helm = CachedTools.Find("helm");
        if (helm is null)
        {
            Assert.Skip(CachedTools.MissingReason("helm") + ": renders the E2E suite's helm install with helm template");
        }

        var arguments = HelmOperator.InstallArguments("codeexec-operator-e2e-abc123", RepositoryLayout.Find(), "codeexec-e2e-system-abc123",
            "/nonexistent/kubeconfig", ImageReference.Parse("localhost:5000/codeexec-operator:0.10"),
            ["runtimeClass.create", "priorityClass.create", "defaultRuntimes.install"]);
        Assert.Equal("install", arguments[0]);
        arguments[0] = "template";

        var result = await ToolRunner.RunAsync(helm, arguments, RepositoryLayout.Find().Root, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, result.Output);
        Assert.Contains("image: localhost:5000/codeexec-operator:0.10\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("name: codeexec-operator-e2e-abc123\n", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("kind: RuntimeClass", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("kind: PriorityClass", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("kind: CodeRuntime\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("kind: Deployment", result.Stdout, StringComparison.Ordinal);
    }
}
