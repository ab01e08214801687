namespace CodeExec.Operator.Controller;

/// <summary>
/// What a reconcile asks of the work queue once it returns. A reconcile that throws is retried with capped exponential
/// backoff per key; one that returns resets that backoff.
/// </summary>
/// <param name="RequeueAfter">Reconcile the key again after this delay (for example to enforce a deadline).</param>
/// <param name="Requeue">Reconcile the key again after the key's backoff delay, without counting it as an error.</param>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter = null, bool Requeue = false)
{
    /// <summary>Nothing more to do until the object or one of its children changes.</summary>
    public static ReconcileResult Done => default;

    /// <summary>Reconcile again after <paramref name="delay"/>; the earliest of several requests for one key wins.</summary>
    public static ReconcileResult After(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new ReconcileResult(RequeueAfter: delay);
    }

    /// <summary>Reconcile again after the key's backoff delay (which grows while the key keeps asking).</summary>
    public static ReconcileResult WithBackoff => new(Requeue: true);
}
