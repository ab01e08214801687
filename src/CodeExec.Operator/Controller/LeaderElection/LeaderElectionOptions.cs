namespace CodeExec.Operator.Controller.LeaderElection;

/// <summary>Leader election on a coordination.k8s.io/v1 Lease (configuration section <c>Operator:LeaderElection</c>).</summary>
public sealed class LeaderElectionOptions
{
    /// <summary>Off: this replica reconciles at once (one replica only). On: only the Lease holder reconciles.</summary>
    public bool Enabled { get; set; }

    /// <summary>Name of the Lease.</summary>
    public string LeaseName { get; set; } = "codeexec-operator-leader";

    /// <summary>Namespace of the Lease. Null: the operator's own namespace (in cluster), else <c>default</c>.</summary>
    public string? LeaseNamespace { get; set; }

    /// <summary>How long a Lease holds after its last renewal; a follower takes over after it expires.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The leader gives up (and stops reconciling) when it could not renew for this long. Less than LeaseDuration.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between attempts to acquire or renew.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>This replica's identity in the Lease. Null: the pod name (POD_NAME, else the host name) plus a random suffix.</summary>
    public string? Identity { get; set; }
}
