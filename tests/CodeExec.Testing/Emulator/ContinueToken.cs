using System.Globalization;
using System.Text;

namespace CodeExec.Testing.Emulator;

/// <summary>The opaque <c>continue</c> token of a paged list: the list's resourceVersion and the last key returned.</summary>
internal static class ContinueToken
{
    public static string Encode(long resourceVersion, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(resourceVersion.ToString(CultureInfo.InvariantCulture) + "\n" + lastKey));

    public static (long ResourceVersion, string LastKey) Decode(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            return (long.Parse(text.AsSpan(0, newline), CultureInfo.InvariantCulture), text[(newline + 1)..]);
        }
        catch (Exception error) when (error is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw ApiStatusException.BadRequest("continue key is not valid: " + error.Message);
        }
    }
}
