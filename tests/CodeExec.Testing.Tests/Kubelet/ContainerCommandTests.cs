using CodeExec.Testing.Kubelet;
using Xunit;

namespace CodeExec.Testing.Tests.Kubelet;

/// <summary>The simulated kubelet's $(VAR) expansion against cases of upstream expand_test.go (third_party/forked/golang/expansion).</summary>
public sealed class ContainerCommandTests
{
    private static readonly List<KeyValuePair<string, string>> Env = [new("VAR_A", "A"), new("VAR_B", "B"), new("VAR_A", "A2"), new("EMPTY", "")];

    [Theory]
    [InlineData("$(VAR_B)", "B")]
    [InlineData("___$(VAR_B)___", "___B___")]
    [InlineData("$(VAR_A)", "A2")] // the last variable of a name wins, as in upstream's map
    [InlineData("$(VAR_B)-$(VAR_B)", "B-B")]
    [InlineData("$(EMPTY)x", "x")]
    [InlineData("$(VAR_DNE)", "$(VAR_DNE)")]
    [InlineData("$()", "$()")]
    [InlineData("$$(VAR_B)", "$(VAR_B)")]
    [InlineData("$$$(VAR_B)", "$B")]
    [InlineData("$$$$(VAR_B)", "$$(VAR_B)")]
    [InlineData("f000-$$VAR_B", "f000-$VAR_B")]
    [InlineData("$VAR_B", "$VAR_B")]
    [InlineData("$(VAR_B", "$(VAR_B")]
    [InlineData("$(", "$(")]
    [InlineData("$", "$")]
    [InlineData("$(VAR_B)$", "B$")]
    [InlineData("a$b", "a$b")]
    [InlineData("$(VAR_B$$)", "$(VAR_B$$)")] // the name runs to the next ')', '$' included: unknown, kept as written
    [InlineData("$($(VAR_B))", "$($(VAR_B))")] // the name is "$(VAR_B"
    [InlineData("$(a b)", "$(a b)")]
    [InlineData("no reference", "no reference")]
    public void Expand_follows_upstream(string input, string expected) => Assert.Equal(expected, ContainerCommand.Expand(input, Env));
}
