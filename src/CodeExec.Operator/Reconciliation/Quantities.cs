using System.Globalization;
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

    /// <summary>
    /// The numeric value of <paramref name="text"/> as a Kubernetes quantity (<c>1500m</c>, <c>8Gi</c>); false when it
    /// does not parse (the client library throws <see cref="FormatException"/> or <see cref="ArgumentException"/>).
    /// </summary>
    public static bool TryParse(string text, out decimal value)
    {
        try
        {
            value = new ResourceQuantity(text).ToDecimal();
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            value = 0;
            return false;
        }
    }

    /// <summary>The quantity as whole bytes (or units), rounded up.</summary>
    public static long ToInt64Ceiling(ResourceQuantity quantity)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        return (long)decimal.Ceiling(quantity.ToDecimal());
    }

    /// <summary>
    /// Bytes for people: a whole number of Mi or Ki as such (<c>256Mi</c>, <c>64Ki</c>), other sizes of a MiB or more to
    /// a tenth of a Mi (<c>141.6Mi</c>), smaller ones in bytes.
    /// </summary>
    public static string FormatBytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + "Mi"
        : bytes >= 1024 * 1024 ? (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + "Mi"
        : bytes % 1024 == 0 ? (bytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"
        : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
}
