using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>
/// NetworkPolicy validation of <c>pkg/apis/networking/validation</c>: <c>ValidateNetworkPolicy</c>,
/// <c>ValidateNetworkPolicyUpdate</c>, <c>ValidateNetworkPolicySpec</c>, <c>ValidateNetworkPolicyPort</c>,
/// <c>ValidateNetworkPolicyPeer</c> and <c>ValidateIPBlock</c>, with <c>ValidateLabelSelector</c> of
/// <c>pkg/apis/meta/v1/validation</c>. CIDRs are checked as with the <c>StrictIPCIDRValidation</c> gate off
/// (its default): leading zeros and host bits are accepted.
/// </summary>
internal static class NetworkPolicyValidation
{
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    private static readonly string[] PolicyTypes = ["Ingress", "Egress"];

    /// <summary>ValidateNetworkPolicy: metadata (DNS-1123 subdomain names) and the spec.</summary>
    public static List<MetaFieldError> ValidateNetworkPolicy(JsonObject policy)
    {
        var errors = ObjectMetaValidation.ValidateObjectMeta(policy, true, Content.NameIsDnsSubdomain, kubeFinalizers: true);
        errors.AddRange(ValidateNetworkPolicySpec(policy["spec"] as JsonObject ?? [], "spec"));
        return errors;
    }

    /// <summary>ValidateNetworkPolicyUpdate: metadata update and the new spec.</summary>
    public static List<MetaFieldError> ValidateNetworkPolicyUpdate(JsonObject next, JsonObject old)
    {
        var errors = ObjectMetaValidation.ValidateObjectMetaUpdate(next, old, kubeFinalizers: true);
        errors.AddRange(ValidateNetworkPolicySpec(next["spec"] as JsonObject ?? [], "spec"));
        return errors;
    }

    /// <summary>ValidateNetworkPolicySpec: podSelector, each rule's ports and peers, policyTypes.</summary>
    public static List<MetaFieldError> ValidateNetworkPolicySpec(JsonObject spec, string path)
    {
        var errors = ValidateLabelSelector(spec["podSelector"] as JsonObject, path + ".podSelector");
        foreach (var (direction, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            var rules = (spec[direction] as JsonArray ?? []).ToList();
            for (var i = 0; i < rules.Count; i++)
            {
                var rulePath = FieldErrors.Index(path + "." + direction, i);
                var rule = rules[i] as JsonObject ?? [];
                var ports = (rule["ports"] as JsonArray ?? []).ToList();
                for (var p = 0; p < ports.Count; p++)
                {
                    errors.AddRange(ValidateNetworkPolicyPort(ports[p] as JsonObject ?? [], FieldErrors.Index(rulePath + ".ports", p)));
                }

                var peerList = (rule[peers] as JsonArray ?? []).ToList();
                for (var p = 0; p < peerList.Count; p++)
                {
                    errors.AddRange(ValidateNetworkPolicyPeer(peerList[p] as JsonObject ?? [], FieldErrors.Index(rulePath + "." + peers, p)));
                }
            }
        }

        var policyTypes = ObjectMetaValidation.Strings(spec["policyTypes"]);
        if (policyTypes.Count > PolicyTypes.Length)
        {
            errors.Add(FieldErrors.Invalid(path + ".policyTypes", FieldErrors.GoStringSlice(policyTypes, "networking.PolicyType"), "may not specify more than two policyTypes"));
            return errors;
        }

        for (var i = 0; i < policyTypes.Count; i++)
        {
            if (!PolicyTypes.Contains(policyTypes[i]))
            {
                errors.Add(FieldErrors.NotSupported(FieldErrors.Index(path + ".policyTypes", i), policyTypes[i], PolicyTypes));
            }
        }

        return errors;
    }

    /// <summary>ValidateNetworkPolicyPort: protocol TCP, UDP or SCTP; a port number or name; endPort only after a numeric port.</summary>
    public static List<MetaFieldError> ValidateNetworkPolicyPort(JsonObject port, string path)
    {
        var errors = new List<MetaFieldError>();
        if (ObjectMeta.GetString(port, "protocol") is { } protocol && !Protocols.Contains(protocol))
        {
            errors.Add(FieldErrors.NotSupported(path + ".protocol", protocol, Protocols));
        }

        var endPort = ObjectMeta.GetLong(port, "endPort");
        if (port["port"] is JsonValue value)
        {
            if (ObjectMeta.GetLong(port, "port") is { } number)
            {
                errors.AddRange(Content.IsValidPortNum(number).Select(m => FieldErrors.Invalid(path + ".port", number, m)));
                if (endPort is { } end)
                {
                    if (end < number)
                    {
                        errors.Add(FieldErrors.Invalid(path + ".endPort", end, "must be greater than or equal to `port`"));
                    }

                    errors.AddRange(Content.IsValidPortNum(end).Select(m => FieldErrors.Invalid(path + ".endPort", end, m)));
                }
            }
            else
            {
                if (endPort is { } end)
                {
                    errors.Add(FieldErrors.Invalid(path + ".endPort", end, "may not be specified when `port` is non-numeric"));
                }

                var name = value.TryGetValue<string>(out var text) ? text : value.ToJsonString();
                errors.AddRange(Content.IsValidPortName(name).Select(m => FieldErrors.Invalid(path + ".port", name, m)));
            }
        }
        else if (endPort is { } end)
        {
            errors.Add(FieldErrors.Invalid(path + ".endPort", end, "may not be specified when `port` is not specified"));
        }

        return errors;
    }

    /// <summary>ValidateNetworkPolicyPeer: at least one of podSelector, namespaceSelector, ipBlock; ipBlock alone.</summary>
    public static List<MetaFieldError> ValidateNetworkPolicyPeer(JsonObject peer, string path)
    {
        var errors = new List<MetaFieldError>();
        var count = 0;
        if (peer["podSelector"] is JsonObject podSelector)
        {
            count++;
            errors.AddRange(ValidateLabelSelector(podSelector, path + ".podSelector"));
        }

        if (peer["namespaceSelector"] is JsonObject namespaceSelector)
        {
            count++;
            errors.AddRange(ValidateLabelSelector(namespaceSelector, path + ".namespaceSelector"));
        }

        var ipBlock = peer["ipBlock"] as JsonObject;
        if (ipBlock is not null)
        {
            count++;
            errors.AddRange(ValidateIPBlock(ipBlock, path + ".ipBlock"));
        }

        if (count == 0)
        {
            errors.Add(FieldErrors.Required(path, "must specify a peer"));
        }
        else if (count > 1 && ipBlock is not null)
        {
            errors.Add(FieldErrors.Forbidden(path, "may not specify both ipBlock and another peer"));
        }

        return errors;
    }

    /// <summary>ValidateIPBlock: a CIDR, and each except a CIDR strictly inside it.</summary>
    public static List<MetaFieldError> ValidateIPBlock(JsonObject ipBlock, string path)
    {
        var errors = new List<MetaFieldError>();
        var cidr = ObjectMeta.GetString(ipBlock, "cidr") ?? "";
        if (cidr.Length == 0)
        {
            errors.Add(FieldErrors.Required(path + ".cidr", ""));
            return errors;
        }

        if (ParseCidr(cidr) is not { } network)
        {
            errors.Add(InvalidCidr(path + ".cidr", cidr));
            return errors;
        }

        var excepts = ObjectMetaValidation.Strings(ipBlock["except"]);
        for (var i = 0; i < excepts.Count; i++)
        {
            var exceptPath = FieldErrors.Index(path + ".except", i);
            if (ParseCidr(excepts[i]) is not { } except)
            {
                errors.Add(InvalidCidr(exceptPath, excepts[i]));
                continue;
            }

            if (!network.Contains(except.Address) || network.Prefix >= except.Prefix)
            {
                errors.Add(FieldErrors.Invalid(exceptPath, excepts[i], "must be a strict subset of `cidr`"));
            }
        }

        return errors;
    }

    /// <summary>ValidateLabelSelector: matchLabels as labels; each expression's operator, values and key.</summary>
    public static List<MetaFieldError> ValidateLabelSelector(JsonObject? selector, string path)
    {
        var errors = new List<MetaFieldError>();
        if (selector is null)
        {
            return errors;
        }

        errors.AddRange(ObjectMetaValidation.ValidateLabels(ObjectMetaValidation.StringMap(selector["matchLabels"]), path + ".matchLabels"));
        var expressions = (selector["matchExpressions"] as JsonArray ?? []).ToList();
        for (var i = 0; i < expressions.Count; i++)
        {
            var expressionPath = FieldErrors.Index(path + ".matchExpressions", i);
            var expression = expressions[i] as JsonObject ?? [];
            var @operator = ObjectMeta.GetString(expression, "operator") ?? "";
            var values = ObjectMetaValidation.Strings(expression["values"]);
            switch (@operator)
            {
                case "In" or "NotIn":
                    if (values.Count == 0)
                    {
                        errors.Add(FieldErrors.Required(expressionPath + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0)
                    {
                        errors.Add(FieldErrors.Forbidden(expressionPath + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }

                    break;
                default:
                    errors.Add(FieldErrors.Invalid(expressionPath + ".operator", @operator, "not a valid selector operator"));
                    break;
            }

            var key = ObjectMeta.GetString(expression, "key") ?? "";
            errors.AddRange(Content.IsQualifiedName(key).Select(m => FieldErrors.Invalid(expressionPath + ".key", key, m)));
            for (var v = 0; v < values.Count; v++)
            {
                var value = values[v];
                errors.AddRange(Content.IsLabelValue(value).Select(m => FieldErrors.Invalid(FieldErrors.Index(expressionPath + ".values", v), value, m)));
            }
        }

        return errors;
    }

    private static MetaFieldError InvalidCidr(string path, string value) =>
        FieldErrors.Invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");

    /// <summary>A network: its masked address bytes and prefix length.</summary>
    internal sealed record Cidr(byte[] Address, int Prefix)
    {
        public bool Contains(byte[] address) =>
            address.Length == Address.Length && Mask(address, Prefix).AsSpan().SequenceEqual(Address);
    }

    /// <summary>netutils.ParseCIDRSloppy: Go's net.ParseCIDR that also accepts leading zeros in IPv4 octets.</summary>
    internal static Cidr? ParseCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var (addressText, prefixText) = (value[..slash], value[(slash + 1)..]);
        if (prefixText.Length == 0 || !prefixText.All(char.IsAsciiDigit)
            || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            return null;
        }

        byte[]? bytes;
        if (addressText.Contains(':', StringComparison.Ordinal))
        {
            bytes = !addressText.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(addressText, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? v6.GetAddressBytes()
                : null;
        }
        else
        {
            bytes = ParseIPv4Sloppy(addressText);
        }

        if (bytes is null || prefix > bytes.Length * 8)
        {
            return null;
        }

        return new Cidr(Mask(bytes, prefix), prefix);
    }

    private static byte[]? ParseIPv4Sloppy(string text)
    {
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (parts[i].Length is 0 or > 3 || !parts[i].All(char.IsAsciiDigit) || int.Parse(parts[i], CultureInfo.InvariantCulture) > 255)
            {
                return null;
            }

            bytes[i] = (byte)int.Parse(parts[i], CultureInfo.InvariantCulture);
        }

        return bytes;
    }

    private static byte[] Mask(byte[] address, int prefix)
    {
        var masked = (byte[])address.Clone();
        for (var i = 0; i < masked.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            masked[i] &= (byte)(0xff << (8 - bits));
        }

        return masked;
    }
}
