using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CodeExec.Api;
using CodeExec.Operator.Output;
using CodeExec.Operator.Reconciliation;
using CodeExec.Operator.Sandbox;
using CodeExec.Operator.Tests.Harness;
using CodeExec.Testing.RealApiServer;
using CodeExec.Testing.Tools;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The command lines of the README's <c>sh</c> blocks run as written, from the repository root: the render command
/// with dotnet, the kubectl commands of the quick start and the API section against a real CRD API server (with the
/// cached kubectl). The commands a test cannot run (they need a cluster serving core kinds, or are the test run
/// itself) are listed with the reason; a README command in neither list fails the test.
/// </summary>
public sealed partial class ReadmeCommandTests(EmptyRealApiServer fixture) : IClassFixture<EmptyRealApiServer>
{
    private const string RenderCommand =
        "dotnet run --project src/CodeExec.Operator -- render -f config/samples/hello-python.yaml --runtime config/samples/runtimes/python.yaml";

    /// <summary>README commands not run by the tests, and why.</summary>
    private static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["make build"] = "the test run has just built the solution",
        ["make test"] = "it is this test run",
        ["make demo"] = "a whole demo (it builds and runs the dev cluster and the samples' code for a minute)",
        ["kubectl apply -k config/runtime"] = "RuntimeClass and PriorityClass are core kinds, which the CRD API server does not serve (KustomizeConfigTests build config/)",
        ["kubectl annotate ns team-a codeexec.dev/max-active-executions=2 codeexec.dev/max-cpu=4 codeexec.dev/max-memory=8Gi"] =
            "Namespaces are a core kind, which the CRD API server does not serve (NamespaceQueueTests annotate a Namespace in the emulator)",
        ["make run"] = "the operator needs a cluster serving Pods, Events and Leases",
        ["make e2e-dev"] = "it runs the real-cluster suite against the dev cluster for about a minute (hack/e2e-dev.sh; not part of make test)",
        ["make dev-cluster"] = "it needs a Docker engine, k3d and internet, which these machines lack",
        ["make e2e"] = "it needs a cluster, or Docker, k3d and internet to make one (hack/dev-cluster.sh), which these machines lack",
        ["kubectl apply -k config/default"] = "it installs core kinds, which the CRD API server does not serve (KustomizeConfigTests build it)",
        ["helm install codeexec-operator charts/codeexec-operator -n codeexec-system --create-namespace --set image.repository=registry.example.com/codeexec-operator --set image.tag=0.1.0"]
            = "it needs a cluster serving core kinds (HelmChartTests render the chart with helm template)",
        ["dotnet pack src/CodeExec.Cli -o artifacts/packages"] = RunByCliTests,
        ["dotnet tool install --global CodeExec.Cli --add-source artifacts/packages"] =
            "it changes the user's global tools; CodeExec.Cli.Tests ReadmeUsageTests runs it with --tool-path instead of --global",
        ["kubectl codeexec runtimes"] = RunByCliTests,
        ["kubectl codeexec run hello.py"] = RunByCliTests,
        ["echo 'print(6 * 7)' | kubectl codeexec run - --runtime python --timeout 30s"] = RunByCliTests,
        ["kubectl codeexec run hello.py --name hello --stdin input.txt --keep -q"] = RunByCliTests,
        ["kubectl codeexec get"] = RunByCliTests,
        ["kubectl codeexec logs hello"] = RunByCliTests,
        ["kubectl codeexec delete hello"] = RunByCliTests,
    };

    private const string RunByCliTests =
        "CodeExec.Cli.Tests ReadmeUsageTests runs it as written (kubectl codeexec: through kubectl's plugin lookup against the emulator with the real operator)";

    /// <summary>The kubectl commands run against the real CRD API server, in README order, with what each must print.</summary>
    private static readonly Dictionary<string, string[]> KubectlExpectations = new(StringComparer.Ordinal)
    {
        ["kubectl apply -k config/crd"] =
        [
            "customresourcedefinition.apiextensions.k8s.io/codeexecutions.codeexec.dev created",
            "customresourcedefinition.apiextensions.k8s.io/coderuntimes.codeexec.dev created",
        ],
        ["kubectl apply -f config/samples/runtimes/"] =
            ["coderuntime.codeexec.dev/bash created", "coderuntime.codeexec.dev/node created", "coderuntime.codeexec.dev/python created"],
        ["kubectl apply -f config/samples/hello-python.yaml"] = ["codeexecution.codeexec.dev/hello-python created"],
        ["kubectl get cx"] = [@"NAME\s+RUNTIME\s+PHASE\s+EXIT\s+DURATION\s+AGE", @"hello-python\s+python\s+Succeeded\s+0\s+1\.25s"],
        ["kubectl get cx hello-python -o jsonpath='{.status.stdout}'"] = ["^hello, codeexec\n$"],
        ["kubectl wait cx/hello-python --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s"] = ["codeexecution.codeexec.dev/hello-python condition met"],
        ["kubectl explain codeexecution.spec"] = ["What to run and within which limits", "codeFrom"],
        ["kubectl explain codeexecution.status"] = ["What the operator observed", "stdoutTruncated"],
        ["kubectl explain coderuntime.spec"] = ["image", "maxLimits"],
    };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_readme_command_is_run_by_a_test_or_listed_with_the_reason_it_is_not()
    {
        var commands = Commands();
        var known = NotRunHere.Keys.Concat(KubectlExpectations.Keys).Append(RenderCommand).ToHashSet(StringComparer.Ordinal);

        Assert.Contains(RenderCommand, commands);
        var unknown = commands.Where(c => !known.Contains(c)).ToList();
        Assert.True(unknown.Count == 0, "README commands no test runs or lists:\n" + string.Join("\n", unknown));
        var stale = known.Where(c => !commands.Contains(c)).ToList();
        Assert.True(stale.Count == 0, "commands listed here that the README no longer has:\n" + string.Join("\n", stale));
    }

    [Fact]
    public async Task Render_command_works_from_the_repository_root_as_written()
    {
        Assert.Contains(RenderCommand, Commands());

        var result = await ShellAsync(RenderCommand, new Dictionary<string, string>(), TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, $"{RenderCommand}\nexit {result.ExitCode}\n{result.Stderr}");
        var rendered = ManifestSet.Parse(result.Stdout);
        Assert.Single(rendered.All<V1NetworkPolicy>(), p => p.Metadata.Name == SandboxNames.Child("hello-python", null, "-deny-all"));
        Assert.Single(rendered.All<V1ConfigMap>(), c => c.Metadata.Name == SandboxNames.Child("hello-python", null, "-code"));
        var pod = Assert.Single(rendered.All<V1Pod>());
        Assert.Equal(SandboxNames.Child("hello-python", null, "-sandbox"), pod.Metadata.Name);
        Assert.Equal("python:3.12-slim", pod.Spec.Containers.Single(c => c.Name == SandboxRenderer.CodeContainerName).Image);
    }

    [Fact]
    public async Task Kubectl_commands_work_against_the_real_api_server_as_written()
    {
        var server = fixture.Server;
        var kubectl = ExternalTool.Require("kubectl", "the README's kubectl commands cannot run");
        var environment = new Dictionary<string, string>
        {
            ["KUBECONFIG"] = server.KubeconfigPath,
            ["KUBECACHEDIR"] = Path.Combine(server.RunDirectory, "kubectl-cache"),
            ["PATH"] = Path.GetDirectoryName(kubectl) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
        var commands = Commands().Where(KubectlExpectations.ContainsKey).ToList();
        Assert.Equal(KubectlExpectations.Keys.Order(StringComparer.Ordinal), commands.Order(StringComparer.Ordinal));

        foreach (var command in commands)
        {
            if (command == "kubectl get cx")
            {
                // What the operator does between apply and get: run the code and write its result.
                await WriteResultAsync(server.Client, "hello, codeexec\n");
            }

            var result = await ShellAsync(command, environment, TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, $"{command}\nexit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
            foreach (var expected in KubectlExpectations[command])
            {
                Assert.True(Regex.IsMatch(result.Stdout, expected) || result.Stdout.Contains(expected, StringComparison.Ordinal),
                    $"{command}: expected {expected} in:\n{result.Stdout}");
            }

            if (command.StartsWith("kubectl apply -k config/crd", StringComparison.Ordinal))
            {
                var established = await ShellAsync("kubectl wait --for condition=Established --timeout=60s crd --all", environment, TimeSpan.FromMinutes(1));
                Assert.True(established.ExitCode == 0, established.Stdout + established.Stderr);
            }
        }
    }

    /// <summary>The README's shell command lines: continuation lines joined, comments and blank lines dropped.</summary>
    internal static List<string> Commands()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("README.md"));
        var commands = new List<string>();
        foreach (Match block in ShellBlock().Matches(readme))
        {
            var joined = block.Groups["body"].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (var line in joined.Split('\n'))
            {
                var command = Regex.Replace(WithoutComment(line).Trim(), @"\s+", " ");
                if (command.Length > 0)
                {
                    commands.Add(command);
                }
            }
        }

        return commands;
    }

    /// <summary>The line up to a <c>#</c> that starts a shell comment (after whitespace, outside quotes).</summary>
    private static string WithoutComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                quote = c == q ? null : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static async Task WriteResultAsync(Kubernetes client, string stdout)
    {
        var execution = await client.CustomObjects.GetNamespacedCustomObjectAsync<CodeExecution>(
            ApiConstants.Group, ApiConstants.Version, "default", ApiConstants.CodeExecutionPlural, "hello-python", Cancel);
        var started = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var outcome = new PodObservation(PodProgress.Finished, ExecutionPhase.Succeeded, ExecutionReason.Completed, "the code exited with code 0", 0,
            started, started.AddMilliseconds(1250));
        var output = new CollectedOutput(new StreamOutput(stdout, OutputEncodings.Utf8, false, Encoding.UTF8.GetByteCount(stdout), null),
            new StreamOutput("", OutputEncodings.Utf8, false, 0, null));
        var run = new SandboxRun("python", "python:3.12-slim", SandboxNames.Child("hello-python", null, "-sandbox"), "0", SandboxOptions.BuiltInDefaultOutputBytes);
        execution.Status = FinalStatusBuilder.Final(execution, outcome, output, null, run, new FakeTimeProvider(new DateTimeOffset(started.AddSeconds(2))));
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(execution, ApiConstants.Group, ApiConstants.Version, "default",
            ApiConstants.CodeExecutionPlural, "hello-python", cancellationToken: Cancel);
    }

    private static Task<ToolResult> ShellAsync(string command, Dictionary<string, string> environment, TimeSpan timeout) =>
        ToolRunner.RunAsync("bash", ["-c", command], RepositoryFiles.Root, timeout, Cancel,
            new Dictionary<string, string>(environment) { ["MSBUILDDISABLENODEREUSE"] = "1" });

    [GeneratedRegex(@"^```sh\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
