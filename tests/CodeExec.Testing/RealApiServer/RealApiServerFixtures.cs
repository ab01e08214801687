using Xunit;

namespace CodeExec.Testing.RealApiServer;

/// <summary>
/// One real CRD API server (hack/kube-apiext.sh) for a test class. When the server is not built here the fixture
/// records why, and every test that asks for it skips with that reason (never passes); once it is built, a server
/// that does not start is a failure.
/// </summary>
public abstract class RealApiServerFixture : IAsyncLifetime
{
    private KubeApiExtServer? _server;
    private string? _unavailableReason;

    /// <summary>The committed CRD files.</summary>
    public static IReadOnlyList<string> CrdFiles { get; } =
    [
        Path.Combine(RepositoryRoot.Find(), "crds", "codeexec.dev_codeexecutions.yaml"),
        Path.Combine(RepositoryRoot.Find(), "crds", "codeexec.dev_coderuntimes.yaml"),
    ];

    /// <summary>The running server; skips the calling test when it is unavailable.</summary>
    public KubeApiExtServer Server
    {
        get
        {
            if (_unavailableReason is not null)
            {
                Assert.Skip(_unavailableReason);
            }

            return _server ?? throw new InvalidOperationException("the fixture was not initialized");
        }
    }

    /// <summary>Whether the fixture installs the committed CRDs before the tests run.</summary>
    protected abstract bool InstallCrds { get; }

    public async ValueTask InitializeAsync()
    {
        var installation = KubeApiExtInstallation.FromEnvironment();
        _unavailableReason = installation.UnavailableReason;
        if (_unavailableReason is not null)
        {
            return;
        }

        _server = await KubeApiExtServer.StartAsync(installation);
        if (!InstallCrds)
        {
            return;
        }

        try
        {
            await _server.InstallCrdsAsync(CrdFiles);
        }
        catch
        {
            await _server.DisposeAsync();
            _server = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A real CRD API server with the committed CRDs installed.</summary>
public sealed class RealApiServerWithCrds : RealApiServerFixture
{
    protected override bool InstallCrds => true;
}

/// <summary>A real CRD API server with nothing installed (the test installs what it needs, e.g. with kubectl).</summary>
public sealed class EmptyRealApiServer : RealApiServerFixture
{
    protected override bool InstallCrds => false;
}
