using CodeExec.Operator.Sandbox;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>What any packaging of the operator (kustomize or Helm) must hold for its Deployment.</summary>
internal static class OperatorDeploymentChecks
{
    public const string ContainerName = "manager";

    public static V1Container Manager(V1Deployment deployment) =>
        deployment.Spec.Template.Spec.Containers.Single(c => c.Name == ContainerName);

    public static string? Env(V1Container container, string name) =>
        container.Env?.SingleOrDefault(e => e.Name == name)?.Value;

    /// <summary>Every way the Deployment falls short: pod security, probes, ports, resources, replicas, leader election.</summary>
    public static IReadOnlyList<string> Problems(V1Deployment deployment, int expectedReplicas)
    {
        var problems = new List<string>(RestrictedPodSecurity.Violations(deployment.Spec.Template.Spec));
        var pod = deployment.Spec.Template.Spec;
        var manager = pod.Containers.SingleOrDefault(c => c.Name == ContainerName);
        if (manager is null)
        {
            problems.Add($"no container named {ContainerName}");
            return problems;
        }

        if (deployment.Spec.Replicas != expectedReplicas) problems.Add($"replicas {deployment.Spec.Replicas}, expected {expectedReplicas}");
        if (pod.AutomountServiceAccountToken != true) problems.Add("the operator needs its service account token (automountServiceAccountToken true)");
        if (string.IsNullOrEmpty(pod.ServiceAccountName)) problems.Add("no serviceAccountName");
        if (manager.LivenessProbe?.HttpGet?.Path != "/healthz") problems.Add("liveness probe is not GET /healthz");
        if (manager.ReadinessProbe?.HttpGet?.Path != "/readyz") problems.Add("readiness probe is not GET /readyz");
        if (!(manager.Ports ?? []).Any(p => p.Name == "http" && p.ContainerPort == 8080)) problems.Add("no http port 8080 (health and /metrics)");
        foreach (var resource in new[] { "cpu", "memory" })
        {
            if (manager.Resources?.Requests?.ContainsKey(resource) != true) problems.Add($"no {resource} request");
            if (manager.Resources?.Limits?.ContainsKey(resource) != true) problems.Add($"no {resource} limit");
        }

        var leaderElection = Env(manager, "Operator__LeaderElection__Enabled");
        if (expectedReplicas > 1 && leaderElection != "true")
        {
            problems.Add($"{expectedReplicas} replicas without leader election (Operator__LeaderElection__Enabled={leaderElection ?? "unset"})");
        }

        if (Env(manager, "Sandbox__CollectorImage") != manager.Image)
        {
            problems.Add($"collector image {Env(manager, "Sandbox__CollectorImage") ?? "unset"} differs from the operator image {manager.Image}");
        }

        // The Sandbox settings the Deployment passes are ones the operator starts with (a packaging step that rewrites
        // one, such as a kustomize replacement matching more env entries than meant, shows here).
        var settings = new ConfigurationBuilder().AddInMemoryCollection((manager.Env ?? [])
                .Where(e => e.Value is not null)
                .Select(e => KeyValuePair.Create(e.Name.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();
        var sandbox = settings.GetSection("Sandbox").Get<SandboxOptions>() ?? new SandboxOptions();
        problems.AddRange(sandbox.Validate().Select(error => "the operator would refuse to start: " + error));
        return problems;
    }
}
