using System.Diagnostics.Metrics;
using CodeExec.Operator.Controller.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace CodeExec.Operator.Tests.Controller.Fakes;

/// <summary>Meter factories of their own for tests that build metrics classes without a host.</summary>
internal static class TestMeters
{
    /// <summary>A fresh <see cref="IMeterFactory"/> (the one <c>AddMetrics</c> registers), its meters apart from every other factory's.</summary>
    public static IMeterFactory Factory() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    /// <summary>Controller metrics on a fresh factory.</summary>
    public static ControllerMetrics ControllerMetrics() => new(Factory());
}
