namespace CodeExec.Operator.Controller;

/// <summary>Settings of the controller machinery (configuration section <c>Operator:Controller</c>).</summary>
public sealed class ControllerOptions
{
    /// <summary>How many different keys a controller reconciles at once. One key never runs twice at once.</summary>
    public int MaxConcurrentReconciles { get; set; } = 4;

    /// <summary>Delay before the first retry of a failed reconcile; it doubles with each failure in a row.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between retries of a failing key.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>On shutdown, how long running reconciles may finish before they are cancelled.</summary>
    public TimeSpan GracefulShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Server-side timeout of one watch request (each picks a random one in [t, 2t) and is then renewed).</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Objects per page when listing.</summary>
    public int ListPageSize { get; set; } = 500;

    /// <summary>First delay after a failed list or watch; grows with jitter up to <see cref="WatchErrorMaxDelay"/>.</summary>
    public TimeSpan WatchErrorBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between list or watch attempts after errors.</summary>
    public TimeSpan WatchErrorMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
