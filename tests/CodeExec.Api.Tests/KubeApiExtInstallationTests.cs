using CodeExec.Testing.RealApiServer;

namespace CodeExec.Api.Tests;

/// <summary>How the real-server fixture decides it can run, and the reason it gives when it cannot.</summary>
public sealed class KubeApiExtInstallationTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("apiext-home-");
    private readonly DirectoryInfo _tools = Directory.CreateTempSubdirectory("apiext-tools-");

    public KubeApiExtInstallationTests() => File.WriteAllText(Path.Combine(_tools.FullName, "start.sh"), "exit 1\n");

    private KubeApiExtInstallation Installation => new(_home.FullName, _tools.FullName);

    [Fact]
    public void Not_built_says_how_to_build()
    {
        Assert.Contains("run make kube-apiext", Installation.UnavailableReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recorded_build_failure_is_the_reason()
    {
        File.WriteAllText(Path.Combine(_home.FullName, "build-failure.txt"), "golang-1.26-go: not found in sid\n");
        Assert.Contains("golang-1.26-go: not found in sid", Installation.UnavailableReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_tools_name_the_variable_to_set()
    {
        var installation = Installation with { ToolsDirectory = Path.Combine(_tools.FullName, "nowhere") };
        Assert.Contains("KUBE_APIEXT_TOOLS", installation.UnavailableReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Built_binaries_and_tools_make_it_available()
    {
        Directory.CreateDirectory(Path.Combine(_home.FullName, "bin"));
        File.WriteAllText(Path.Combine(_home.FullName, "bin", "apiext-standalone"), "");
        File.WriteAllText(Path.Combine(_home.FullName, "bin", "etcd"), "");
        Assert.Null(Installation.UnavailableReason);
    }

    [Fact]
    public async Task Starting_an_unavailable_server_fails_with_the_reason()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => KubeApiExtServer.StartAsync(Installation, TestContext.Current.CancellationToken));
        Assert.Contains("run make kube-apiext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_repository_root_holds_the_solution() =>
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.Find(), "Operator.sln")));

    public void Dispose()
    {
        _home.Delete(recursive: true);
        _tools.Delete(recursive: true);
    }
}
