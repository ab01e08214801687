using CodeExec.Api;

namespace CodeExec.Cli.Tests;

public sealed class ExitCodesTests
{
    [Theory]
    [InlineData(ExecutionPhase.Succeeded, 0, 0)]
    [InlineData(ExecutionPhase.Succeeded, null, 0)]
    [InlineData(ExecutionPhase.Failed, 3, 3)]
    [InlineData(ExecutionPhase.Failed, 137, 137)]
    [InlineData(ExecutionPhase.Failed, null, 125)]
    [InlineData(ExecutionPhase.Failed, 0, 125)]
    [InlineData(ExecutionPhase.TimedOut, 124, 124)]
    [InlineData(ExecutionPhase.TimedOut, null, 124)]
    [InlineData(ExecutionPhase.TimedOut, 0, 124)]
    [InlineData(ExecutionPhase.Rejected, null, 126)]
    [InlineData(ExecutionPhase.Running, null, 125)]
    public void A_final_status_maps_to_the_documented_exit_code(string phase, int? exitCode, int expected) =>
        Assert.Equal(expected, ExitCodes.Of(new CodeExecutionStatus { Phase = phase, ExitCode = exitCode }));

    [Fact]
    public void No_status_is_a_failure() => Assert.Equal(ExitCodes.Failure, ExitCodes.Of(null));
}
