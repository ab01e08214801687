using k8s.Models;

namespace CodeExec.Operator.Reconciliation;

/// <summary>Numeric comparison of Kubernetes quantities (<c>1Gi</c> &gt; <c>1000Mi</c> &gt; <c>1G</c>).</summary>
internal static class Quantities
{
    /// <summary>Compares the numeric values of two quantities.</summary>
    public static int Compare(ResourceQuantity left, ResourceQuantity right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return left.ToDecimal().CompareTo(right.ToDecimal());
    }

    /// <summary>The quantity as whole bytes (or units), rounded up.</summary>
    public static long ToInt64Ceiling(ResourceQuantity quantity)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        return (long)decimal.Ceiling(quantity.ToDecimal());
    }
}
