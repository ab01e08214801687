namespace CodeExec.Operator.Controller.Queue;

/// <summary>
/// The controller's work queue, keyed by <see cref="ObjectKey"/>, with client-go workqueue semantics:
/// <list type="bullet">
/// <item>a key waiting in the queue is held once, however often it is added (de-duplication);</item>
/// <item>a key being processed is never handed out again until <see cref="Done"/>; if it was added meanwhile it is
/// queued again then, so the change is not lost;</item>
/// <item>different keys are handed out in parallel, round-robin by namespace and in the order they were added within
/// one namespace (cluster-scoped keys take turns as one more namespace): a namespace with many keys waiting delays
/// another namespace's key by at most one key of each namespace ahead of it, not by all of its own;</item>
/// <item><see cref="AddAfter"/> delays a key (the earliest of several delays wins) and <see cref="AddWithBackoff"/>
/// delays it by a per-key exponential backoff that <see cref="Forget"/> resets.</item>
/// </list>
/// Delays run on the given <see cref="TimeProvider"/>, so tests drive them with a fake clock. <paramref name="depthChanged"/>
/// hears the count of ready keys after each change; <paramref name="waited"/> how long each key handed out was ready before
/// a worker took it (zero when a worker was already waiting).
/// </summary>
internal sealed class WorkQueue(TimeProvider timeProvider, ExponentialBackoff retryBackoff, Action<int>? depthChanged = null,
    Action<TimeSpan>? waited = null) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly RoundRobinByNamespace _ready = new();
    private readonly HashSet<ObjectKey> _dirty = [];
    private readonly HashSet<ObjectKey> _processing = [];
    private readonly Dictionary<ObjectKey, int> _failures = [];
    private readonly Dictionary<ObjectKey, DelayedKey> _delayed = [];
    private readonly LinkedList<TaskCompletionSource<ObjectKey?>> _waiters = new();
    private readonly Dictionary<ObjectKey, long> _readySince = [];
    private bool _shutDown;

    private sealed record DelayedKey(DateTimeOffset Due, ITimer Timer);

    /// <summary>Keys ready to be handed out (waiting for a worker), not counting delayed or in-process ones.</summary>
    public int Depth
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>Keys waiting for a delay to pass.</summary>
    public int DelayedCount
    {
        get
        {
            lock (_lock)
            {
                return _delayed.Count;
            }
        }
    }

    /// <summary>True once <see cref="ShutDown"/> was called: adds are ignored and takers get null.</summary>
    public bool IsShutDown
    {
        get
        {
            lock (_lock)
            {
                return _shutDown;
            }
        }
    }

    /// <summary>Queues <paramref name="key"/> now, unless it is already queued.</summary>
    public void Add(ObjectKey key)
    {
        int depth;
        lock (_lock)
        {
            if (_shutDown || !_dirty.Add(key))
            {
                return;
            }

            if (_processing.Contains(key))
            {
                // Queued again by Done once the running reconcile of this key ends.
                return;
            }

            if (TryHandToWaiter(key))
            {
                return;
            }

            Enqueue(key);
            depth = _ready.Count;
        }

        depthChanged?.Invoke(depth);
    }

    /// <summary>Queues <paramref name="key"/> once <paramref name="delay"/> has passed; an earlier pending delay for the key wins.</summary>
    public void AddAfter(ObjectKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            var due = timeProvider.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }

                pending.Timer.Dispose();
            }

            var timer = timeProvider.CreateTimer(_ => OnDelayPassed(key, due), null, delay, Timeout.InfiniteTimeSpan);
            _delayed[key] = new DelayedKey(due, timer);
        }
    }

    /// <summary>Queues <paramref name="key"/> after its backoff delay, which doubles with each call until <see cref="Forget"/>.</summary>
    /// <returns>The delay applied.</returns>
    public TimeSpan AddWithBackoff(ObjectKey key)
    {
        TimeSpan delay;
        lock (_lock)
        {
            var failures = _failures.GetValueOrDefault(key) + 1;
            _failures[key] = failures;
            delay = retryBackoff.DelayAfter(failures);
        }

        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Resets the backoff of <paramref name="key"/> (after a successful reconcile).</summary>
    public void Forget(ObjectKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>How many times in a row <paramref name="key"/> was requeued with backoff.</summary>
    public int FailuresOf(ObjectKey key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>
    /// Waits for the next key and marks it in process; the caller must call <see cref="Done"/> with it. Returns null once
    /// the queue is shut down (keys still queued are not handed out any more).
    /// </summary>
    public async ValueTask<ObjectKey?> TakeAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<ObjectKey?> waiter;
        LinkedListNode<TaskCompletionSource<ObjectKey?>> node;
        ObjectKey readyKey;
        int depth;
        var wait = TimeSpan.Zero;
        lock (_lock)
        {
            if (_shutDown)
            {
                return null;
            }

            if (_ready.TryDequeue(out readyKey))
            {
                if (_readySince.Remove(readyKey, out var since))
                {
                    wait = timeProvider.GetElapsedTime(since);
                }

                _dirty.Remove(readyKey);
                _processing.Add(readyKey);
                depth = _ready.Count;
                waiter = null!;
                node = null!;
            }
            else
            {
                depth = -1;
                waiter = new TaskCompletionSource<ObjectKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
                node = _waiters.AddLast(waiter);
            }
        }

        if (depth >= 0)
        {
            depthChanged?.Invoke(depth);
            waited?.Invoke(wait);
            return readyKey;
        }

        await using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                }
            }

            waiter.TrySetCanceled(cancellationToken);
        });
        var handed = await waiter.Task;
        if (handed is not null)
        {
            waited?.Invoke(TimeSpan.Zero);
        }

        return handed;
    }

    /// <summary>Marks <paramref name="key"/> no longer in process; if it was added meanwhile it is queued again now.</summary>
    public void Done(ObjectKey key)
    {
        int depth;
        lock (_lock)
        {
            _processing.Remove(key);
            if (_shutDown || !_dirty.Contains(key) || TryHandToWaiter(key))
            {
                return;
            }

            Enqueue(key);
            depth = _ready.Count;
        }

        depthChanged?.Invoke(depth);
    }

    /// <summary>Stops the queue: pending delays are dropped, adds are ignored, and every taker gets null.</summary>
    public void ShutDown()
    {
        List<TaskCompletionSource<ObjectKey?>> waiters;
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            _shutDown = true;
            foreach (var delayed in _delayed.Values)
            {
                delayed.Timer.Dispose();
            }

            _delayed.Clear();
            _ready.Clear();
            _readySince.Clear();
            _dirty.Clear();
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult(null);
        }

        depthChanged?.Invoke(0);
    }

    /// <inheritdoc />
    public void Dispose() => ShutDown();

    /// <summary>Keys in one FIFO per namespace; the namespaces take turns, one key each.</summary>
    private sealed class RoundRobinByNamespace
    {
        private readonly Dictionary<string, Queue<ObjectKey>> _byNamespace = new(StringComparer.Ordinal);
        private readonly Queue<string> _turns = new();

        public int Count { get; private set; }

        public void Enqueue(ObjectKey key)
        {
            var namespaceName = key.Namespace ?? "";
            if (!_byNamespace.TryGetValue(namespaceName, out var keys))
            {
                keys = new Queue<ObjectKey>();
                _byNamespace[namespaceName] = keys;
                _turns.Enqueue(namespaceName);
            }

            keys.Enqueue(key);
            Count++;
        }

        public bool TryDequeue(out ObjectKey key)
        {
            if (!_turns.TryDequeue(out var namespaceName))
            {
                key = default;
                return false;
            }

            var keys = _byNamespace[namespaceName];
            key = keys.Dequeue();
            Count--;
            if (keys.Count > 0)
            {
                _turns.Enqueue(namespaceName);
            }
            else
            {
                _byNamespace.Remove(namespaceName);
            }

            return true;
        }

        public void Clear()
        {
            _byNamespace.Clear();
            _turns.Clear();
            Count = 0;
        }
    }

    private void OnDelayPassed(ObjectKey key, DateTimeOffset due)
    {
        lock (_lock)
        {
            if (!_delayed.TryGetValue(key, out var pending) || pending.Due != due)
            {
                return;
            }

            _delayed.Remove(key);
            pending.Timer.Dispose();
        }

        Add(key);
    }

    // Called under the lock: queues a ready key and notes since when it waits.
    private void Enqueue(ObjectKey key)
    {
        _ready.Enqueue(key);
        _readySince[key] = timeProvider.GetTimestamp();
    }

    // Called under the lock with a key already in _dirty: hands it straight to a waiting taker if there is one.
    private bool TryHandToWaiter(ObjectKey key)
    {
        while (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            if (first.Value.TrySetResult(key))
            {
                _dirty.Remove(key);
                _processing.Add(key);
                return true;
            }
        }

        return false;
    }
}
