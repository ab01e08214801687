using System.Globalization;

namespace CodeExec.Cli.Formatting;

/// <summary>Durations for people, as kubectl prints the AGE column.</summary>
internal static class HumanDuration
{
    /// <summary>
    /// <paramref name="duration"/> as kubectl's AGE: 45s, 3m20s, 42m, 5h3m, 30h, 3d4h, 90d, 3y45d. The rules of
    /// k8s.io/apimachinery/pkg/util/duration HumanDuration: seconds up to 2 minutes, minutes and seconds up to 10 minutes,
    /// minutes up to 3 hours, hours and minutes up to 8 hours, hours up to 48 hours, days and hours up to 8 days, days up
    /// to 2 years, then years and days; a negative duration under a second is 0s, over a second &lt;invalid&gt;.
    /// </summary>
    public static string Format(TimeSpan duration)
    {
        var seconds = (long)Math.Floor(duration.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return Invariant($"{seconds}s");
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? Invariant($"{minutes}m") : Invariant($"{minutes}m{s}s");
        }

        if (minutes < 60 * 3)
        {
            return Invariant($"{minutes}m");
        }

        var hours = seconds / 3600;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? Invariant($"{hours}h") : Invariant($"{hours}h{m}m");
        }

        if (hours < 48)
        {
            return Invariant($"{hours}h");
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? Invariant($"{hours / 24}d") : Invariant($"{hours / 24}d{h}h");
        }

        if (hours < 24 * 365 * 2)
        {
            return Invariant($"{hours / 24}d");
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? Invariant($"{hours / 24 / 365}y") : Invariant($"{hours / 24 / 365}y{dy}d");
        }

        return Invariant($"{hours / 24 / 365}y");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
