using System.Globalization;
using System.Text.RegularExpressions;
using CodeExec.Api;

namespace CodeExec.Cli.Formatting;

/// <summary>Parses <c>--timeout</c>: a whole number of seconds, alone or as Go-style duration units (<c>90</c>, <c>30s</c>, <c>2m</c>, <c>1h30m</c>).</summary>
internal static partial class TimeoutText
{
    /// <summary>
    /// The seconds of <paramref name="text"/>, for spec.limits.timeoutSeconds: 1 to 86400. Units are h, m and s, each at
    /// most once and in that order, as in <c>kubectl --timeout</c> durations; no fractions.
    /// </summary>
    /// <exception cref="CliException">Not such a duration, or outside 1s..24h.</exception>
    public static int ParseSeconds(string text)
    {
        var match = Duration().Match(text.Trim());
        if (!match.Success || match.Value.Length == 0)
        {
            throw new CliException($"--timeout {text}: not a duration (examples: 90, 30s, 2m, 1h30m)");
        }

        long seconds = match.Groups["bare"].Success
            ? long.Parse(match.Groups["bare"].Value, CultureInfo.InvariantCulture)
            : (Part(match, "h") * 3600) + (Part(match, "m") * 60) + Part(match, "s");
        if (seconds is < 1 or > ApiConstants.MaxTimeoutSeconds)
        {
            throw new CliException($"--timeout {text}: must be from 1s to 24h (spec.limits.timeoutSeconds 1..{ApiConstants.MaxTimeoutSeconds})");
        }

        return (int)seconds;
    }

    private static long Part(Match match, string unit) =>
        match.Groups[unit].Success ? long.Parse(match.Groups[unit].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^(?:(?<bare>[0-9]{1,9})|(?:(?<h>[0-9]{1,6})h)?(?:(?<m>[0-9]{1,7})m)?(?:(?<s>[0-9]{1,9})s)?)$")]
    private static partial Regex Duration();
}
