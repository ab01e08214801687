using CodeExec.Testing.RealApiServer;

namespace CodeExec.Api.Tests;

/// <summary>
/// One real CRD API server for a test class, with the committed CRDs installed. When the server is not built here
/// the fixture records why, and every test that needs it skips with that reason (never passes).
/// </summary>
public sealed class RealApiServerFixture : IAsyncLifetime
{
    private KubeApiExtServer? _server;
    private string? _unavailableReason;

    /// <summary>The committed CRD files.</summary>
    public static IReadOnlyList<string> CrdFiles { get; } =
    [
        Path.Combine(RepositoryRoot.Find(), "crds", "codeexec.dev_codeexecutions.yaml"),
        Path.Combine(RepositoryRoot.Find(), "crds", "codeexec.dev_coderuntimes.yaml"),
    ];

    /// <summary>The running server with the CRDs installed; skips the calling test when it is unavailable.</summary>
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

    public async ValueTask InitializeAsync()
    {
        var installation = KubeApiExtInstallation.FromEnvironment();
        _unavailableReason = installation.UnavailableReason;
        if (_unavailableReason is not null)
        {
            return;
        }

        // The server is built: from here on, anything that goes wrong is a failure, not a skip.
        _server = await KubeApiExtServer.StartAsync(installation);
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
    }
}
