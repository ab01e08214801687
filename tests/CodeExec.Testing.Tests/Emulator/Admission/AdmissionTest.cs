using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Admission;

/// <summary>Helpers for the admission tests: pods, and the 403 Status a refused create answers.</summary>
public abstract class AdmissionTest : EmulatorTest
{
    protected const string Ns = "default";

    protected static V1Container Container(string name, string? cpu = null, string? memory = null, string? cpuLimit = null, string? memoryLimit = null)
    {
        var container = new V1Container { Name = name, Image = "python:3.12" };
        var requests = new Dictionary<string, ResourceQuantity>();
        var limits = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        if (cpuLimit is not null)
        {
            limits["cpu"] = new ResourceQuantity(cpuLimit);
        }

        if (memoryLimit is not null)
        {
            limits["memory"] = new ResourceQuantity(memoryLimit);
        }

        if (requests.Count + limits.Count > 0)
        {
            container.Resources = new V1ResourceRequirements { Requests = requests.Count > 0 ? requests : null, Limits = limits.Count > 0 ? limits : null };
        }

        return container;
    }

    protected static V1Pod Pod(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = containers.Length == 0 ? [Container("main")] : [.. containers], RestartPolicy = "Never" },
    };

    protected Task<V1Pod> CreateAsync(V1Pod pod, string ns = Ns) => Client.CreateNamespacedPodAsync(pod, ns, cancellationToken: Ct);

    /// <summary>Asserts the create is refused with 403 Forbidden and returns the Status message.</summary>
    protected static async Task<string> ForbiddenAsync(Func<Task> create)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(create);
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        using var status = JsonDocument.Parse(error.Response.Content);
        Assert.Equal("Forbidden", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal(403, status.RootElement.GetProperty("code").GetInt32());
        return status.RootElement.GetProperty("message").GetString()!;
    }

    protected Task<string> PodForbiddenAsync(V1Pod pod, string ns = Ns) => ForbiddenAsync(() => CreateAsync(pod, ns));
}
