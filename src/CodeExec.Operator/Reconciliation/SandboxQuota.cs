using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using CodeExec.Operator.Sandbox;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// The ResourceQuota the operator keeps in each namespace it runs sandboxes in: scoped to the sandbox PriorityClass (so
/// it counts sandbox Pods and nothing else of the tenant), with <c>pods</c>, <c>requests/limits.cpu</c> and
/// <c>requests/limits.memory</c> from the namespace's <see cref="NamespaceLimits"/> plus the RuntimeClass overhead of
/// each of its Pods. It is the API server's hard cap behind the operator's own queue, which counts from caches.
/// </summary>
internal static class SandboxQuota
{
    /// <summary>Name of the ResourceQuota in each namespace.</summary>
    public const string Name = "codeexec-sandbox";

    /// <summary>Annotation telling administrators what the operator does with the object.</summary>
    public const string NoteAnnotation = "codeexec.dev/note";

    /// <summary>
    /// The quota for <paramref name="namespaceName"/>, or null when there is nothing to cap: no PriorityClass selects
    /// sandbox Pods, or no limit is set. <c>pods</c> is <see cref="NamespaceLimits.MaxActive"/>; cpu and memory are
    /// the namespace maxima plus <paramref name="overhead"/> (a Pod's <c>spec.overhead</c>) once per possible Pod, so
    /// they are set only together with a concurrency limit (without one, the overhead has no bound). Requests equal
    /// limits in sandbox Pods, so both are capped alike.
    /// </summary>
    public static V1ResourceQuota? Desired(string namespaceName, NamespaceLimits limits, string? priorityClassName, PodResources overhead)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (string.IsNullOrEmpty(priorityClassName) || limits.MaxActive <= 0)
        {
            return null;
        }

        var hard = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["pods"] = new(limits.MaxActive.ToString(CultureInfo.InvariantCulture)),
        };
        if (limits.MaxCpu is { } cpu)
        {
            var total = Cpu(cpu + (limits.MaxActive * overhead.Cpu));
            hard["requests.cpu"] = new(total);
            hard["limits.cpu"] = new(total);
        }

        if (limits.MaxMemory is { } memory)
        {
            var total = Memory(memory + (limits.MaxActive * overhead.Memory));
            hard["requests.memory"] = new(total);
            hard["limits.memory"] = new(total);
        }

        return new V1ResourceQuota
        {
            ApiVersion = "v1",
            Kind = "ResourceQuota",
            Metadata = new V1ObjectMeta
            {
                Name = Name,
                NamespaceProperty = namespaceName,
                Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [SandboxNames.ManagedByLabel] = SandboxNames.ManagedByValue },
                Annotations = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [NoteAnnotation] = "created by codeexec-operator from the namespace's execution limits when it first ran a sandbox here; "
                                       + "it never updates or deletes it: edit it, or delete it to have it created again from the current limits",
                },
            },
            Spec = new V1ResourceQuotaSpec
            {
                Hard = hard,
                ScopeSelector = new V1ScopeSelector
                {
                    MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "In", Values = [priorityClassName] }],
                },
            },
        };
    }

    private static string Cpu(decimal cores) => ((long)decimal.Ceiling(cores * 1000)).ToString(CultureInfo.InvariantCulture) + "m";

    private static string Memory(decimal bytes)
    {
        var whole = (long)decimal.Ceiling(bytes);
        return whole % (1024 * 1024) == 0 ? (whole / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + "Mi" : whole.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Creates <see cref="SandboxQuota"/> in a namespace the first time this process starts a sandbox there
/// (<see cref="ExecutionOptions.ManageSandboxQuota"/>). Create only: an existing quota of the name (409) is left as it
/// is, whoever changed it, so an administrator's edit is never overwritten. A failure is logged and never fails the
/// execution; a refusal (4xx) is not tried again until the operator restarts, a server error at the next start.
/// </summary>
internal sealed class SandboxQuotas(IOperatorApi api, IOptions<ExecutionOptions> executionOptions, IOptions<SandboxOptions> sandboxOptions,
    ILogger<SandboxQuotas> logger)
{
    private readonly ConcurrentDictionary<string, bool> _done = new(StringComparer.Ordinal);

    /// <summary>
    /// Ensures the quota of <paramref name="namespaceName"/> with <paramref name="limits"/>, taking the overhead from
    /// <paramref name="createdPod"/> (the sandbox Pod as the API server stored it, with the RuntimeClass's overhead).
    /// </summary>
    public async Task EnsureAsync(string namespaceName, NamespaceLimits limits, V1Pod createdPod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createdPod);
        if (!executionOptions.Value.ManageSandboxQuota || _done.ContainsKey(namespaceName))
        {
            return;
        }

        var overhead = createdPod.Spec?.Overhead is { } podOverhead
            ? PodResources.LimitsOf(new V1Pod { Spec = new V1PodSpec { Containers = [new V1Container { Resources = new V1ResourceRequirements { Limits = podOverhead } }] } })
            : PodResources.Zero;
        var desired = SandboxQuota.Desired(namespaceName, limits, sandboxOptions.Value.PriorityClassName, overhead);
        if (desired is null)
        {
            _done[namespaceName] = true;
            return;
        }

        try
        {
            await api.CreateResourceQuotaAsync(desired, namespaceName, cancellationToken);
            logger.LogInformation("Namespace {Namespace}: created ResourceQuota {Quota} for sandbox Pods ({Hard})", namespaceName, SandboxQuota.Name,
                string.Join(", ", desired.Spec.Hard.Select(h => h.Key + "=" + h.Value)));
            _done[namespaceName] = true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            _done[namespaceName] = true;
        }
        catch (HttpOperationException e)
        {
            var final = (int)e.Response.StatusCode is >= 400 and < 500 and not 429 and not 408;
            if (final)
            {
                _done[namespaceName] = true;
            }

            logger.LogWarning("Namespace {Namespace}: the ResourceQuota {Quota} could not be created ({Status} {Body}){Retry}", namespaceName,
                SandboxQuota.Name, (int)e.Response.StatusCode, e.Response.Content, final ? "" : "; trying again at the next start");
        }
    }
}
