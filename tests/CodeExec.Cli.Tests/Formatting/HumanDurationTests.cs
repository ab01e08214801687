using CodeExec.Cli.Formatting;

namespace CodeExec.Cli.Tests.Formatting;

/// <summary>The cases of k8s.io/apimachinery/pkg/util/duration's TestHumanDuration.</summary>
public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(-2, "<invalid>")]
    [InlineData(-0.5, "0s")]
    [InlineData(1, "1s")]
    [InlineData(70, "70s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(150, "2m30s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 - 1, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(3 * 3600 + 30 * 60, "3h30m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600 + 59 * 60, "47h")]
    [InlineData(48 * 3600, "2d")]
    [InlineData(48 * 3600 + 3600, "2d1h")]
    [InlineData(8 * 86400, "8d")]
    [InlineData(367 * 86400, "367d")]
    [InlineData(2 * 365 * 86400, "2y")]
    [InlineData(2 * 365 * 86400 + 86400, "2y1d")]
    [InlineData(8 * 365 * 86400, "8y")]
    public void Formats_as_kubectl_age(double seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
}
