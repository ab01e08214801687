using System.Collections.Concurrent;

namespace CodeExec.Operator.Reconciliation;

/// <summary>
/// The finished executions (by UID) whose children this process has already deleted, so a resync or a TTL requeue of
/// a finished execution costs no API calls. Forgotten when the execution itself is deleted. After a restart the ledger
/// is empty and each finished execution's children are deleted once more (the deletes of missing objects are no-ops).
/// </summary>
internal sealed class CleanupLedger
{
    private readonly ConcurrentDictionary<string, byte> _cleaned = new(StringComparer.Ordinal);

    public bool IsCleaned(string? uid) => uid is not null && _cleaned.ContainsKey(uid);

    public void MarkCleaned(string? uid)
    {
        if (uid is not null)
        {
            _cleaned.TryAdd(uid, 0);
        }
    }

    public void Forget(string? uid)
    {
        if (uid is not null)
        {
            _cleaned.TryRemove(uid, out _);
        }
    }
}
