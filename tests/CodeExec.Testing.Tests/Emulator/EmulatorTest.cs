using CodeExec.Testing.Emulator;
using k8s;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator;

/// <summary>Base of the emulator-only tests: a fresh emulator and a client for it per test.</summary>
public abstract class EmulatorTest : IAsyncLifetime
{
    protected KubernetesEmulator Emulator { get; private set; } = null!;

    protected Kubernetes Client { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The options each test's emulator starts with.</summary>
    protected virtual EmulatorOptions Options() => new();

    /// <summary>Runs once the emulator has started, before the test.</summary>
    protected virtual void Prepare(KubernetesEmulator emulator)
    {
    }

    public async ValueTask InitializeAsync()
    {
        Emulator = await KubernetesEmulator.StartAsync(Options(), Ct);
        Prepare(Emulator);
        Client = Emulator.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
