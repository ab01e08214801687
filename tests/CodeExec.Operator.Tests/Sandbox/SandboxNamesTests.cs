using CodeExec.Operator.Sandbox;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class SandboxNamesTests
{
    [Fact]
    public void Short_names_get_the_plain_suffix()
    {
        Assert.Equal("job-1-sandbox", SandboxNames.Pod("job-1"));
        Assert.Equal("job-1-code", SandboxNames.Code("job-1"));
        Assert.Equal("job-1-deny-all", SandboxNames.DenyAllPolicy("job-1"));
        Assert.Equal("job-1-egress", SandboxNames.EgressPolicy("job-1"));
        Assert.Equal("job-1", SandboxNames.ExecutionLabelValue("job-1"));
    }

    [Fact]
    public void Long_names_are_cut_to_63_with_a_hash_that_keeps_them_distinct()
    {
        var a = new string('a', 60) + "-x1";
        var b = new string('a', 60) + "-x2";

        var podA = SandboxNames.Pod(a);
        var podB = SandboxNames.Pod(b);

        Assert.Equal(63, podA.Length);
        Assert.EndsWith("-sandbox", podA, StringComparison.Ordinal);
        Assert.NotEqual(podA, podB);
        Assert.Equal(podA, SandboxNames.Pod(a));
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", podA);
        Assert.True(SandboxNames.ExecutionLabelValue(a).Length <= 63);
        Assert.Equal(a, SandboxNames.ExecutionLabelValue(a));  // exactly 63: fits
        Assert.Equal(63, SandboxNames.ExecutionLabelValue(a + "y").Length);
    }

    [Fact]
    public void A_cut_never_leaves_a_dash_or_dot_before_the_hash()
    {
        var name = new string('b', 44) + "-.-.-.-" + new string('c', 20);
        var pod = SandboxNames.Pod(name);

        Assert.DoesNotContain("--", pod, StringComparison.Ordinal);
        Assert.DoesNotContain(".-", pod, StringComparison.Ordinal);
    }

    [Fact]
    public void Child_selector_matches_the_labels_of_every_child()
    {
        Assert.Equal("app.kubernetes.io/managed-by=codeexec-operator,codeexec.dev/execution=job-1", SandboxNames.ChildSelector("job-1"));
    }
}
