using CodeExec.Api;
using CodeExec.Cli.Commands;

namespace CodeExec.Cli.Tests.Commands;

public sealed class ExecutionRequestTests
{
    [Fact]
    public void Without_options_the_spec_has_only_the_code_and_the_name_is_generated()
    {
        var execution = new ExecutionRequest("print(1)", null, null, null, [], null).ToExecution("team-a");

        Assert.Null(execution.Metadata.Name);
        Assert.Equal("run-", execution.Metadata.GenerateName);
        Assert.Equal("team-a", execution.Metadata.NamespaceProperty);
        Assert.Equal("print(1)", execution.Spec.Code);
        Assert.Null(execution.Spec.Runtime);
        Assert.Null(execution.Spec.Limits);
        Assert.Null(execution.Spec.Network);
        Assert.Null(execution.Spec.Stdin);
    }

    [Fact]
    public void Options_set_runtime_timeout_stdin_egress_and_name()
    {
        var execution = new ExecutionRequest("x", "node", "2m", "in", ["a.example.com", "b.example.com", "a.example.com"], "mine").ToExecution("default");

        Assert.Equal("mine", execution.Metadata.Name);
        Assert.Null(execution.Metadata.GenerateName);
        Assert.Equal("node", execution.Spec.Runtime);
        Assert.Equal(120, execution.Spec.Limits?.TimeoutSeconds);
        Assert.Equal("in", execution.Spec.Stdin);
        Assert.Equal(NetworkModes.Egress, execution.Spec.Network?.Mode);
        Assert.Equal(["a.example.com", "b.example.com"], execution.Spec.Network?.AllowedHosts ?? []);
    }

    [Theory]
    [InlineData("pypi.org:443")]
    [InlineData("https://pypi.org")]
    public void Egress_takes_host_names_only(string host)
    {
        var e = Assert.Throws<CliException>(() => new ExecutionRequest("x", null, null, null, [host], null).ToExecution("default"));
        Assert.StartsWith($"--egress {host}: give a host name only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_code_is_refused() =>
        Assert.Equal("the code is empty", Assert.Throws<CliException>(() => new ExecutionRequest("", null, null, null, [], null).ToExecution("default")).Message);

    [Theory]
    [InlineData(ExecutionPhase.Succeeded, ExecutionReason.Completed, 0, null)]
    [InlineData(ExecutionPhase.Failed, ExecutionReason.Error, 3, null)]
    [InlineData(ExecutionPhase.Failed, ExecutionReason.OOMKilled, 137, "codeexecution/x: Failed (OOMKilled): m")]
    [InlineData(ExecutionPhase.TimedOut, ExecutionReason.DeadlineExceeded, 124, "codeexecution/x: TimedOut (DeadlineExceeded): m")]
    [InlineData(ExecutionPhase.Rejected, "Rejected", null, "codeexecution/x: Rejected (Rejected): m")]
    public void The_ending_line_explains_every_end_but_a_plain_exit(string phase, string reason, int? exitCode, string? expected) =>
        Assert.Equal(expected, RunCommand.Ending("x", new CodeExecutionStatus { Phase = phase, Reason = reason, ExitCode = exitCode, Message = "m" }));
}
