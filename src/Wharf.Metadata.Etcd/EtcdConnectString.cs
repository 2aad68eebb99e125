using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Wharf.Metadata.Etcd;

/// <summary>One etcd member's client address.</summary>
public readonly record struct EtcdEndpoint(string Host, int Port)
{
    /// <summary>The gRPC address (etcd's client port speaks plaintext HTTP/2).</summary>
    public Uri ToUri() => new($"http://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}");

    public override string ToString() => $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The value of <c>etcd.connect</c>: <c>host:port[,host:port…][/prefix]</c>, like ZooKeeper's connect string with a
/// chroot. The prefix isolates clusters sharing one etcd; every key Wharf writes starts with it. Without one the
/// prefix is <see cref="DefaultPrefix"/>. The prefix is normalised to start with <c>/</c> and not end with one; IPv6
/// hosts are written in brackets. Immutable.
/// </summary>
public sealed record EtcdConnectString(ImmutableArray<EtcdEndpoint> Endpoints, string Prefix)
{
    public const string DefaultPrefix = "/wharf";

    public bool Equals(EtcdConnectString? other) => other is not null && Endpoints.SequenceEqual(other.Endpoints) && Prefix == other.Prefix;

    public override int GetHashCode() => HashCode.Combine(Endpoints.Length, Prefix);

    public override string ToString() => string.Join(',', Endpoints) + Prefix;

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">the text is not a connect string; the message says why.</exception>
    public static EtcdConnectString Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out EtcdConnectString? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "etcd.connect is empty; expected host:port[,host:port…][/prefix]";
            return false;
        }

        text = text.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}' has a scheme; write host:port[,host:port…][/prefix]";
            return false;
        }

        var slash = FindPrefixStart(text);
        var hosts = slash < 0 ? text : text[..slash];
        var prefix = slash < 0 ? DefaultPrefix : text[slash..].TrimEnd('/');
        if (prefix.Length == 0)
        {
            error = $"'{text}': the prefix after '/' is empty; leave it out for the default {DefaultPrefix}";
            return false;
        }

        if (prefix.Contains("//", StringComparison.Ordinal) || prefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            error = $"'{text}': the prefix '{prefix}' has an empty segment or a blank";
            return false;
        }

        var endpoints = ImmutableArray.CreateBuilder<EtcdEndpoint>();
        foreach (var part in hosts.Split(','))
        {
            if (!TryParseEndpoint(part.Trim(), out var endpoint, out error))
            {
                error = $"'{text}': {error}";
                return false;
            }

            endpoints.Add(endpoint);
        }

        value = new EtcdConnectString(endpoints.ToImmutable(), prefix);
        error = null;
        return true;
    }

    /// <summary>The first '/' outside brackets (an IPv6 host has none, but keep the brackets opaque anyway).</summary>
    private static int FindPrefixStart(string text)
    {
        var inBrackets = false;
        for (var i = 0; i < text.Length; i++)
        {
            inBrackets = text[i] switch
            {
                '[' => true,
                ']' => false,
                _ => inBrackets,
            };
            if (text[i] == '/' && !inBrackets)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryParseEndpoint(string text, out EtcdEndpoint endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = default;
        string host;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [ipv6]:port";
                return false;
            }

            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is not host:port";
                return false;
            }

            host = text[..colon];
            port = text[(colon + 1)..];
        }

        if (host.Length == 0 || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            error = $"'{text}' needs a host and a port between 1 and 65535";
            return false;
        }

        endpoint = new EtcdEndpoint(host, number);
        error = null;
        return true;
    }
}
