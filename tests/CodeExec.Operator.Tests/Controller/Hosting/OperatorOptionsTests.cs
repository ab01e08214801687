using CodeExec.Operator.Controller;
using CodeExec.Operator.Controller.Client;
using CodeExec.Operator.Controller.LeaderElection;
using CodeExec.Operator.Hosting;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CodeExec.Operator.Tests.Controller.Hosting;

public sealed class OperatorOptionsTests
{
    private static ServiceProvider Provider(params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Operator:Kubernetes:Qps"] = "5" })
            .AddCommandLine(args)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOperator(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Settings_bind_from_configuration_with_the_command_line_winning()
    {
        using var provider = Provider(
            "--Operator:Kubernetes:Qps=7.5",
            "--Operator:Kubernetes:Burst=15",
            "--Operator:Controller:MaxConcurrentReconciles=9",
            "--Operator:Controller:RetryMaxDelay=00:02:00",
            "--Operator:LeaderElection:Enabled=true",
            "--Operator:LeaderElection:LeaseName=custom");

        var all = provider.GetRequiredService<IOptions<OperatorOptions>>().Value;
        var client = provider.GetRequiredService<IOptions<KubernetesClientOptions>>().Value;
        var controller = provider.GetRequiredService<IOptions<ControllerOptions>>().Value;
        var election = provider.GetRequiredService<IOptions<LeaderElectionOptions>>().Value;

        Assert.Equal((7.5, 15), (client.Qps, client.Burst));
        Assert.Equal(9, controller.MaxConcurrentReconciles);
        Assert.Equal(TimeSpan.FromMinutes(2), controller.RetryMaxDelay);
        Assert.True(election.Enabled);
        Assert.Equal("custom", election.LeaseName);
        Assert.Equal(9, all.Controller.MaxConcurrentReconciles);
    }

    [Fact]
    public void Defaults_hold_when_nothing_is_configured()
    {
        using var provider = Provider();

        var controller = provider.GetRequiredService<IOptions<ControllerOptions>>().Value;
        var election = provider.GetRequiredService<IOptions<LeaderElectionOptions>>().Value;

        Assert.Equal(4, controller.MaxConcurrentReconciles);
        Assert.False(election.Enabled);
        Assert.Equal(5, provider.GetRequiredService<IOptions<KubernetesClientOptions>>().Value.Qps);
    }

    [Fact]
    public void A_kubeconfig_file_and_context_are_honoured()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters:
            - {name: one, cluster: {server: "https://one.example:6443", insecure-skip-tls-verify: true}}
            - {name: two, cluster: {server: "https://two.example:6443", insecure-skip-tls-verify: true}}
            contexts:
            - {name: one, context: {cluster: one, user: u}}
            - {name: two, context: {cluster: two, user: u}}
            current-context: one
            users:
            - {name: u, user: {token: abc}}
            """);
        try
        {
            var configuration = KubernetesClientFactory.LoadConfiguration(new KubernetesClientOptions
            {
                KubeConfig = path,
                Context = "two",
                RequestTimeout = TimeSpan.FromSeconds(12),
            });

            Assert.Equal("https://two.example:6443", configuration.Host.TrimEnd('/'));
            Assert.Equal(TimeSpan.FromSeconds(12), configuration.HttpClientTimeout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_identity_is_the_pod_name_with_a_random_suffix()
    {
        var one = LeaderElectionService.DefaultIdentity();
        var two = LeaderElectionService.DefaultIdentity();

        Assert.NotEqual(one, two);
        Assert.StartsWith(Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : Environment.MachineName, one, StringComparison.Ordinal);
    }
}

public sealed class SandboxOptionsAtStartTests
{
    [Fact]
    public async Task The_host_refuses_to_start_with_unusable_sandbox_settings_and_names_them()
    {
        await using var app = OperatorHost.Build(["--urls", "http://127.0.0.1:0", "--Sandbox:CollectorImage=", "--Sandbox:MaxOutputBytes=10"],
            builder => builder.Services.AddKubernetesClient(_ => new KubernetesApiClient(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" })));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Sandbox:CollectorImage must be set", error.Failures);
        Assert.Contains(error.Failures, failure => failure.StartsWith("Sandbox:MaxOutputBytes", StringComparison.Ordinal));
    }
}
