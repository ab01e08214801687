using CodeExec.Testing.Kubelet.GVisor;
using CodeExec.Testing.Kubelet.LocalProcess;
using CodeExec.Testing.Kubelet.Scripted;
using Microsoft.Extensions.Logging;

namespace CodeExec.Testing.Kubelet;

/// <summary>Makes the pod runner of each mode of the simulated kubelet.</summary>
public static class PodRunners
{
    /// <summary>Scripted mode: containers do what the test registers on the returned runner.</summary>
    public static ScriptedPodRunner Scripted(PodRunnerOptions? options = null) => new(options);

    /// <summary>
    /// Process mode: container commands run as local processes. NO ISOLATION (see <see cref="ProcessEngine.NoIsolationWarning"/>):
    /// only for trusted commands.
    /// </summary>
    public static IPodRunner Process(PodRunnerOptions? options = null)
    {
        options ??= new PodRunnerOptions();
        options.Logger.LogWarning("{Warning}", ProcessEngine.NoIsolationWarning);
        return new EnginePodRunner(new ProcessEngine(options), options.Time, options.UnpullableImages.Contains);
    }

    /// <summary>gVisor mode: each pod runs in one runsc sandbox, its containers joined to it. Needs root and runsc (see <see cref="GVisorOptions.CanRun"/>).</summary>
    public static IPodRunner GVisor(PodRunnerOptions? options = null, GVisorOptions? gvisor = null)
    {
        options ??= new PodRunnerOptions();
        return new EnginePodRunner(new GVisorEngine(options, gvisor ?? new GVisorOptions()), options.Time, options.UnpullableImages.Contains);
    }
}
