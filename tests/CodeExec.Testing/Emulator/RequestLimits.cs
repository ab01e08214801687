using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// The size limits a real cluster puts on writes, with its answers (both checked against the real API server with etcd,
/// see <c>StatusSizeOnRealServerTests</c>):
/// <list type="bullet">
/// <item>kube-apiserver reads at most 3 MiB of a request body (<c>k8s.io/apiserver/pkg/server/config.go</c>
/// <c>MaxRequestBodyBytes</c>, the <c>DefaultMaxRequestSizeBytes</c> of <c>k8s.io/apiserver/pkg/cel/limits.go</c>;
/// <c>handlers/rest.go</c> <c>limitedReadBody</c>): 413 <c>RequestEntityTooLarge</c>
/// "Request entity too large: limit is 3145728".</item>
/// <item>etcd refuses a request over <c>--max-request-bytes</c>, 1.5 MiB by default (<c>etcd server/embed/config.go</c>
/// <c>DefaultMaxRequestBytes</c>); kube-apiserver passes the error on as 500 with the message
/// "etcdserver: request is too large" and no reason. The object is stored as Go's <c>encoding/json</c> writes it
/// (<c>appendString</c> in <c>encoding/json/encode.go</c>: <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, control characters and
/// U+2028/U+2029 take six bytes), and its key rides along.</item>
/// </list>
/// </summary>
public static class RequestLimits
{
    /// <summary>kube-apiserver's request body limit.</summary>
    public const int MaxRequestBodyBytes = 3 * 1024 * 1024;

    /// <summary>etcd's default <c>--max-request-bytes</c>.</summary>
    public const int EtcdMaxRequestBytes = 1024 * 1024 * 3 / 2;

    /// <summary>Refuses a body longer than <see cref="MaxRequestBodyBytes"/> as kube-apiserver does.</summary>
    internal static async Task<string> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxRequestBodyBytes)
            {
                throw new ApiStatusException(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxRequestBodyBytes}");
            }
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Refuses to store <paramref name="obj"/> under <paramref name="key"/> when etcd would refuse the request.</summary>
    internal static void CheckStorable(string key, JsonObject obj)
    {
        if (Encoding.UTF8.GetByteCount(key) + GoEncodedLength(obj) > EtcdMaxRequestBytes)
        {
            throw new ApiStatusException(500, "", "etcdserver: request is too large");
        }
    }

    /// <summary>Bytes of the compact JSON Go's <c>encoding/json</c> writes for <paramref name="node"/> (HTML escaping on).</summary>
    public static long GoEncodedLength(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return 4;
            case JsonObject obj:
                {
                    long length = 2 + Math.Max(0, obj.Count - 1);
                    foreach (var (key, value) in obj)
                    {
                        length += 3 + GoEscapedLength(key) + GoEncodedLength(value);
                    }

                    return length;
                }

            case JsonArray array:
                {
                    long length = 2 + Math.Max(0, array.Count - 1);
                    foreach (var item in array)
                    {
                        length += GoEncodedLength(item);
                    }

                    return length;
                }

            default:
                return node.GetValueKind() == JsonValueKind.String
                    ? 2 + GoEscapedLength(node.GetValue<string>())
                    : Encoding.UTF8.GetByteCount(node.ToJsonString());
        }
    }

    private static long GoEscapedLength(string value)
    {
        long length = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            length += rune.Value switch
            {
                '"' or '\\' or '\n' or '\r' or '\t' => 2,
                '\b' or '\f' => 2, // Go 1.22 and later; older releases wrote \u0008 and \u000c
                < 0x20 or '<' or '>' or '&' or 0x2028 or 0x2029 => 6,
                _ => rune.Utf8SequenceLength,
            };
        }

        return length;
    }
}
