using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class SandboxNamesTests
{
    private const string Uid = "0b6c3e9e-1111-2222-3333-444455556666";
    private const string OtherUid = "7f00aa11-1111-2222-3333-444455556666";

    private static CodeExecution Execution(string name, string? uid = Uid, string? network = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "team-a", Uid = uid },
        Spec = new CodeExecutionSpec { Runtime = "python", Code = "x", Network = network is null ? null : new NetworkAccess { Mode = network } },
    };

    [Fact]
    public void Short_names_get_the_uid_prefix_and_the_suffix()
    {
        var execution = Execution("job-1");

        Assert.Equal("job-1-0b6c3e9e-sandbox", SandboxNames.Pod(execution));
        Assert.Equal("job-1-0b6c3e9e-code", SandboxNames.Code(execution));
        Assert.Equal("job-1-0b6c3e9e-deny-all", SandboxNames.NetworkPolicy(execution));
        Assert.Equal("job-1", SandboxNames.ExecutionLabelValue("job-1"));
    }

    [Fact]
    public void Egress_executions_get_an_egress_policy_name()
    {
        Assert.Equal("job-1-0b6c3e9e-egress", SandboxNames.NetworkPolicy(Execution("job-1", network: NetworkModes.Egress)));
    }

    [Fact]
    public void Without_a_uid_render_gets_the_plain_suffix()
    {
        Assert.Equal("job-1-sandbox", SandboxNames.Pod(Execution("job-1", uid: null)));
        Assert.Equal("job-1-code", SandboxNames.Child("job-1", "", "-code"));
    }

    [Fact]
    public void A_successor_of_the_same_name_gets_other_names()
    {
        Assert.NotEqual(SandboxNames.Pod(Execution("job-1")), SandboxNames.Pod(Execution("job-1", OtherUid)));
        Assert.NotEqual(SandboxNames.Code(Execution("job-1")), SandboxNames.Code(Execution("job-1", OtherUid)));
        Assert.NotEqual(SandboxNames.NetworkPolicy(Execution("job-1")), SandboxNames.NetworkPolicy(Execution("job-1", OtherUid)));
    }

    [Fact]
    public void Long_names_are_cut_to_63_with_a_hash_of_name_and_uid()
    {
        var a = new string('a', 60) + "-x1";
        var b = new string('a', 60) + "-x2";

        var podA = SandboxNames.Pod(Execution(a));
        var podB = SandboxNames.Pod(Execution(b));

        Assert.Equal(63, podA.Length);
        Assert.EndsWith("-sandbox", podA, StringComparison.Ordinal);
        Assert.NotEqual(podA, podB);
        Assert.NotEqual(podA, SandboxNames.Pod(Execution(a, OtherUid)));
        Assert.Equal(podA, SandboxNames.Pod(Execution(a)));
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", podA);
        Assert.True(SandboxNames.ExecutionLabelValue(a).Length <= 63);
        Assert.Equal(a, SandboxNames.ExecutionLabelValue(a));  // exactly 63: fits
        Assert.Equal(63, SandboxNames.ExecutionLabelValue(a + "y").Length);
    }

    [Theory]
    [InlineData("-code")]
    [InlineData("-deny-all")]
    [InlineData("-sandbox")]
    public void A_short_name_equal_to_the_cut_form_of_a_long_one_gets_other_names(string suffix)
    {
        // Security review PoC C: before, `L[..47]-<h10>` (not cut) produced the same `-code` name as the cut form of L.
        var victim = Execution("victim-" + new string('v', 70));
        var victimName = SandboxNames.Child(victim.Metadata.Name, victim.Metadata.Uid, suffix);
        var attackerName = victimName[..^suffix.Length];
        foreach (var uid in new[] { Uid, OtherUid, "00000000-0000-0000-0000-000000000000" })
        {
            Assert.NotEqual(victimName, SandboxNames.Child(attackerName, uid, suffix));
            // Also the attacker's name cut so that its own uid part would fall where the victim's hash is.
            var cut = attackerName[..^(SandboxNames.HashLength + 1)];
            Assert.NotEqual(victimName, SandboxNames.Child(cut, uid, suffix));
        }
    }

    [Fact]
    public void Every_child_name_is_a_DNS_label_of_at_most_63()
    {
        foreach (var length in new[] { 1, 40, 45, 46, 50, 54, 55, 58, 59, 62, 63, 100, 253 })
        {
            var execution = Execution(new string('n', length));
            foreach (var name in new[] { SandboxNames.Pod(execution), SandboxNames.Code(execution), SandboxNames.NetworkPolicy(execution) })
            {
                Assert.True(name.Length <= SandboxNames.MaxLength, name);
                Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
            }
        }
    }

    [Fact]
    public void A_cut_never_leaves_a_dash_or_dot_before_the_hash()
    {
        var name = new string('b', 44) + "-.-.-.-" + new string('c', 20);
        var pod = SandboxNames.Pod(Execution(name));

        Assert.DoesNotContain("--", pod, StringComparison.Ordinal);
        Assert.DoesNotContain(".-", pod, StringComparison.Ordinal);
    }

    [Fact]
    public void Child_selector_matches_the_labels_of_every_child()
    {
        Assert.Equal("app.kubernetes.io/managed-by=codeexec-operator,codeexec.dev/execution=job-1", SandboxNames.ChildSelector("job-1"));
    }
}
