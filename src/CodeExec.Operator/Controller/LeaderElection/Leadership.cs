namespace CodeExec.Operator.Controller.LeaderElection;

/// <summary>
/// Whether this replica may reconcile now. Each stretch of leadership is a term with its own cancellation token:
/// controllers run their workers for the term and the token cancels their in-flight reconciles the moment the term
/// ends (the Lease was lost, or leader election stopped).
/// </summary>
internal sealed class Leadership : IDisposable
{
    private readonly Lock _lock = new();
    private TaskCompletionSource<CancellationToken> _nextTerm = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _term;
    private volatile bool _electorRunning;

    /// <summary>Raised with true when a term begins and false when it ends.</summary>
    public event Action<bool>? Changed;

    /// <summary>True during a term.</summary>
    public bool IsLeader
    {
        get
        {
            lock (_lock)
            {
                return _term is not null;
            }
        }
    }

    /// <summary>True while the leader elector runs (or leader election is off); readiness depends on it.</summary>
    public bool ElectorRunning
    {
        get => _electorRunning;
        set => _electorRunning = value;
    }

    /// <summary>Completes with the token of the current term, once there is one.</summary>
    public Task<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _nextTerm.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Begins a term (no-op during one).</summary>
    public void BeginTerm()
    {
        lock (_lock)
        {
            if (_term is not null)
            {
                return;
            }

            _term = new CancellationTokenSource();
            _nextTerm.TrySetResult(_term.Token);
        }

        Changed?.Invoke(true);
    }

    /// <summary>Ends the current term (no-op outside one): its token is cancelled at once.</summary>
    public void EndTerm()
    {
        CancellationTokenSource term;
        lock (_lock)
        {
            if (_term is null)
            {
                return;
            }

            term = _term;
            _term = null;
            _nextTerm = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        term.Cancel();
        Changed?.Invoke(false);
    }

    /// <inheritdoc />
    public void Dispose() => EndTerm();
}
