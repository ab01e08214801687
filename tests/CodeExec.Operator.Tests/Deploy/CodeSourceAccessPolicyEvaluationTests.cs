using CodeExec.Testing.Tools;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The code-source admission policy (security review finding 3) evaluated the way kube-apiserver evaluates it: hack/vapcheck
/// compiles the policy file with the ValidatingAdmissionPolicy plugin's own compile step from k8s.io/apiserver (Debian's
/// golang-k8s-apiserver-dev) and runs it on CodeExecution creates with an RBAC stand-in. It needs
/// <c>hack/vapcheck/build.sh</c> (not part of make test: about 260 MB and several minutes); without it these tests skip.
/// </summary>
public sealed class CodeSourceAccessPolicyEvaluationTests : IDisposable
{
    private static readonly string[] Expected =
    [
        "inline code:\n  => admit  ok",
        "secret, author may not get it:\n    authorizer asked: get /secrets team-a/ci-deployer-token user=tenant\n  => deny spec.codeFrom.secretKeyRef: you may not get the Secret ci-deployer-token in namespace team-a, so a CodeExecution of yours may not read its code from it (Forbidden, deny) ok",
        "secret, author may get it:\n    authorizer asked: get /secrets team-a/scripts user=tenant\n  => admit  ok",
        "configmap, author may not get it:\n    authorizer asked: get /configmaps team-a/src user=tenant\n  => deny spec.codeFrom.configMapKeyRef: you may not get the ConfigMap src in namespace team-a",
        "configmap, author may get it:\n    authorizer asked: get /configmaps team-a/src user=tenant\n  => admit  ok",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("codeexec-vap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Config_policy_refuses_an_author_who_may_not_get_the_named_secret_or_config_map()
    {
        var result = ExternalTool.Run(VapCheck(), RepositoryFiles.PathOf("config", "admission-policy", "code_source_access_policy.yaml"));

        AssertAsExpected(result);
    }

    [Fact]
    public void Chart_policy_refuses_an_author_who_may_not_get_the_named_secret_or_config_map()
    {
        var vapcheck = VapCheck();
        var helm = ExternalTool.Require("helm", "the chart's policy cannot be rendered here");
        var rendered = ExternalTool.Run(helm, "template", "codeexec-operator", "charts/codeexec-operator", "--namespace", "codeexec-system",
            "--show-only", "templates/code-source-access-policy.yaml");
        Assert.True(rendered.Succeeded, rendered.Stderr);
        var policy = rendered.Stdout.Split("\n---", StringSplitOptions.RemoveEmptyEntries)
            .Single(d => d.Contains("kind: ValidatingAdmissionPolicy\n", StringComparison.Ordinal));
        var file = Path.Combine(_dir, "policy.yaml");
        File.WriteAllText(file, policy);

        AssertAsExpected(ExternalTool.Run(vapcheck, file));
    }

    [Fact]
    public void A_policy_that_does_not_compile_is_reported()
    {
        var vapcheck = VapCheck();
        var file = Path.Combine(_dir, "broken.yaml");
        File.WriteAllText(file, File.ReadAllText(RepositoryFiles.PathOf("config", "admission-policy", "code_source_access_policy.yaml"))
            .Replace("check('get')", "chek('get')", StringComparison.Ordinal));

        var result = ExternalTool.Run(vapcheck, file);

        Assert.False(result.Succeeded);
        Assert.Contains("undeclared reference to 'chek'", result.Stdout, StringComparison.Ordinal);
    }

    private static void AssertAsExpected(ToolResult result)
    {
        Assert.True(result.Succeeded, $"vapcheck: {result.Stdout}\n{result.Stderr}");
        Assert.All(Expected, e => Assert.Contains(e, result.Stdout, StringComparison.Ordinal));
        Assert.DoesNotContain("UNEXPECTED", result.Stdout, StringComparison.Ordinal);
    }

    private static string VapCheck()
    {
        var home = Environment.GetEnvironmentVariable("VAPCHECK_HOME")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "codeexec", "vapcheck");
        var binary = Path.Combine(home, "bin", "vapcheck");
        if (!File.Exists(binary))
        {
            var failure = Path.Combine(home, "failure.txt");
            Assert.Skip(File.Exists(failure)
                ? File.ReadAllText(failure).Trim()
                : $"{binary} is not built (run hack/vapcheck/build.sh): the admission policy cannot be evaluated here");
        }

        return binary;
    }
}
