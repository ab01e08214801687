using CodeExec.Cli.Formatting;

namespace CodeExec.Cli.Tests.Formatting;

public sealed class TimeoutTextTests
{
    [Theory]
    [InlineData("90", 90)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h30m", 5400)]
    [InlineData("1m30s", 90)]
    [InlineData("24h", 86400)]
    [InlineData(" 5s ", 5)]
    public void Whole_seconds_and_h_m_s_units_parse(string text, int seconds) =>
        Assert.Equal(seconds, TimeoutText.ParseSeconds(text));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("1.5s")]
    [InlineData("30ms")]
    [InlineData("2s1m")]
    [InlineData("-5s")]
    public void Anything_else_is_not_a_duration(string text)
    {
        var e = Assert.Throws<CliException>(() => TimeoutText.ParseSeconds(text));
        Assert.Contains("not a duration", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0s")]
    [InlineData("24h1s")]
    [InlineData("100000")]
    public void Durations_outside_the_api_range_are_refused(string text)
    {
        var e = Assert.Throws<CliException>(() => TimeoutText.ParseSeconds(text));
        Assert.Contains("must be from 1s to 24h", e.Message, StringComparison.Ordinal);
    }
}
