using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace CodeExec.Operator.Output;

/// <summary>
/// What a value costs in bytes once serialised, where the API server and etcd count it:
/// <list type="bullet">
/// <item><b>Stored</b>: kube-apiserver encodes custom resources with Go's <c>encoding/json</c> (unstructured objects,
/// <c>json.NewEncoder(w).Encode</c>, HTML escaping on) before etcd stores them. Its string encoder
/// (<c>encoding/json/encode.go</c>, <c>appendString</c>; <c>encodeState.string</c> in older releases) writes
/// <c>"</c> and <c>\</c> as two bytes, <c>\n</c> <c>\r</c> <c>\t</c> as two, <c>&lt;</c> <c>&gt;</c> <c>&amp;</c> and
/// every other byte below 0x20 as the six bytes <c>\u00XX</c> (Go 1.22 and later write <c>\b</c> and <c>\f</c> in two;
/// this counts six, the older and larger form), U+2028 and U+2029 as six (<c>\u2028</c>), an invalid UTF-8 byte as
/// the six bytes <c>\ufffd</c>, and every other character as its UTF-8 bytes.</item>
/// <item><b>Sent</b>: the request body as the Kubernetes .NET client writes it (<see cref="KubernetesJson"/>, whose
/// System.Text.Json encoder also escapes HTML-sensitive characters, <c>+</c> and non-ASCII characters).</item>
/// </list>
/// </summary>
internal static class JsonSize
{
    /// <summary>
    /// Bytes Go's <c>encoding/json</c> writes for the contents of a string holding <paramref name="value"/> (without the
    /// two quotes). A lone surrogate counts as the three bytes of U+FFFD, what it becomes in UTF-8.
    /// </summary>
    public static long GoEscapedLength(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        long length = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            length += rune.Value switch
            {
                '"' or '\\' or '\n' or '\r' or '\t' => 2,
                < 0x20 or '<' or '>' or '&' or 0x2028 or 0x2029 => 6,
                _ => rune.Utf8SequenceLength,
            };
        }

        return length;
    }

    /// <summary>Bytes of the compact JSON Go's <c>encoding/json</c> writes for <paramref name="node"/> (the stored form).</summary>
    public static long GoEncodedLength(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return 4; // null
            case JsonObject obj:
                {
                    long length = 2 + Math.Max(0, obj.Count - 1);
                    foreach (var (key, value) in obj)
                    {
                        length += 2 + GoEscapedLength(key) + 1 + GoEncodedLength(value);
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

    /// <summary>Bytes of the compact JSON Go's <c>encoding/json</c> writes for a Kubernetes object (the stored form).</summary>
    public static long GoEncodedLength(object value) =>
        GoEncodedLength(JsonNode.Parse(KubernetesJson.Serialize(value)));

    /// <summary>Bytes the Kubernetes .NET client sends for <paramref name="value"/> (a request body).</summary>
    public static long SentLength(object value) => Encoding.UTF8.GetByteCount(KubernetesJson.Serialize(value));

    /// <summary>Bytes the Kubernetes .NET client sends for the contents of a string holding <paramref name="value"/> (without the quotes).</summary>
    public static long SentEscapedLength(string value) => SentLength(value) - 2;
}
