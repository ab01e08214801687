using System.Globalization;
using CodeExec.Api;
using CodeExec.Operator.Controller;
using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>What an execution that has no sandbox Pod yet does now.</summary>
internal enum QueueVerdict
{
    /// <summary>A slot is free and no older execution of the namespace waits: start it.</summary>
    Start,

    /// <summary>Wait in phase Queued; the message names the limit (or the older executions) it waits for.</summary>
    Wait,

    /// <summary>It could never start, even with nothing else running: reject it.</summary>
    Reject,
}

/// <summary>The verdict of <see cref="NamespaceQueue.Decide"/> and, unless Start, the sentence for status.message.</summary>
/// <param name="Verdict">Start, wait or reject.</param>
/// <param name="Message">Why it waits or is rejected; null for Start.</param>
/// <param name="IsHead">True when no older execution of the namespace waits: only then is a changed message worth a status write.</param>
internal sealed record QueueDecision(QueueVerdict Verdict, string? Message, bool IsHead = true);

/// <summary>What the active sandboxes of a namespace use: how many, and their limits added up.</summary>
/// <param name="Active">Active sandbox Pods (or started executions whose Pod the cache does not show yet).</param>
/// <param name="Resources">Their cpu and memory limits, added up.</param>
internal sealed record NamespaceUsage(int Active, PodResources Resources);

/// <summary>
/// The per-namespace queue, pure: executions start oldest first within a namespace (by creationTimestamp, then
/// name), each only when the namespace's active sandboxes leave room under its <see cref="NamespaceLimits"/>. An
/// execution waits while an older one of its namespace waits, so a small one never overtakes a large one forever.
/// Namespaces do not wait for each other: each has its own limits, and the work queue hands out keys round-robin by
/// namespace.
/// </summary>
internal static class NamespaceQueue
{
    /// <summary>True while <paramref name="execution"/> has no sandbox Pod recorded and is neither finished nor being deleted.</summary>
    public static bool IsWaiting(CodeExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        return execution.Metadata.DeletionTimestamp is null && !ExecutionPhase.IsFinal(execution.Status?.Phase) && execution.Status?.PodUid is null;
    }

    /// <summary>The waiting executions of <paramref name="executions"/>, oldest first (creationTimestamp, then name).</summary>
    public static IReadOnlyList<CodeExecution> WaitingInOrder(IEnumerable<CodeExecution> executions) =>
        executions.Where(IsWaiting)
            .OrderBy(e => e.Metadata.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(e => e.Metadata.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The key of the oldest waiting execution of <paramref name="executions"/> (one namespace), or null.</summary>
    public static ObjectKey? Head(IEnumerable<CodeExecution> executions) =>
        WaitingInOrder(executions) is [var head, ..] ? ObjectKey.Of(head) : null;

    /// <summary>How many waiting executions of <paramref name="executions"/> are older than <paramref name="execution"/>.</summary>
    public static int OlderWaiting(CodeExecution execution, IEnumerable<CodeExecution> executions)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var uid = execution.Metadata.Uid;
        var created = execution.Metadata.CreationTimestamp ?? DateTime.MaxValue;
        return executions.Count(e => IsWaiting(e) && e.Metadata.Uid != uid
                                     && ((e.Metadata.CreationTimestamp ?? DateTime.MaxValue) < created
                                         || ((e.Metadata.CreationTimestamp ?? DateTime.MaxValue) == created
                                             && string.CompareOrdinal(e.Metadata.Name, execution.Metadata.Name) < 0)));
    }

    /// <summary>
    /// Whether an execution whose sandbox Pod would have the limits <paramref name="demand"/> starts now in namespace
    /// <paramref name="namespaceName"/>, given what its active sandboxes use and how many older executions wait.
    /// Rejects one larger than a namespace maximum on its own; otherwise waits while the concurrency, CPU or memory
    /// limit would be passed (the message names the first), or while older executions wait.
    /// </summary>
    public static QueueDecision Decide(string namespaceName, PodResources demand, NamespaceUsage usage, NamespaceLimits limits, int olderWaiting)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(limits);
        var isHead = olderWaiting == 0;
        if (limits.MaxCpu is { } maxCpu && demand.Cpu > maxCpu)
        {
            return new QueueDecision(QueueVerdict.Reject, string.Create(CultureInfo.InvariantCulture,
                $"the sandbox Pod would use {Cpu(demand.Cpu)} CPU (its containers' limits, the output collector's included), more than namespace {namespaceName} may use at once: {Cpu(maxCpu)} CPU"));
        }

        if (limits.MaxMemory is { } maxMemory && demand.Memory > maxMemory)
        {
            return new QueueDecision(QueueVerdict.Reject, string.Create(CultureInfo.InvariantCulture,
                $"the sandbox Pod would use {Memory(demand.Memory)} of memory (its containers' limits, the output collector's included), more than namespace {namespaceName} may use at once: {Memory(maxMemory)}"));
        }

        if (limits.MaxActive > 0 && usage.Active >= limits.MaxActive)
        {
            return Wait(isHead, $"waiting: namespace {namespaceName} has {usage.Active} of {limits.MaxActive} concurrent executions");
        }

        if (limits.MaxCpu is { } cpu && usage.Resources.Cpu + demand.Cpu > cpu)
        {
            return Wait(isHead, $"waiting: namespace {namespaceName} would use {Cpu(usage.Resources.Cpu + demand.Cpu)} of {Cpu(cpu)} CPU");
        }

        if (limits.MaxMemory is { } memory && usage.Resources.Memory + demand.Memory > memory)
        {
            return Wait(isHead, $"waiting: namespace {namespaceName} would use {Memory(usage.Resources.Memory + demand.Memory)} of {Memory(memory)} memory");
        }

        if (olderWaiting > 0)
        {
            return Wait(isHead, $"waiting: older executions of namespace {namespaceName} start first");
        }

        return new QueueDecision(QueueVerdict.Start, null);
    }

    private static QueueDecision Wait(bool isHead, FormattableString message) => new(QueueVerdict.Wait, FormattableString.Invariant(message), isHead);

    /// <summary>Cores as people write them: <c>2</c>, <c>0.5</c>, <c>2.65</c>.</summary>
    internal static string Cpu(decimal cores) => cores.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Bytes as <see cref="Quantities.FormatBytes"/> writes them.</summary>
    internal static string Memory(decimal bytes) => Quantities.FormatBytes((long)decimal.Ceiling(bytes));
}
