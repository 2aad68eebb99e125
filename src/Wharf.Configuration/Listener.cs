using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Wharf.Configuration;

/// <summary>
/// One entry of <c>listeners</c> / <c>advertised.listeners</c> / <c>http.listeners</c>: <c>NAME://host:port</c>.
/// The name is upper-cased (Kafka's listener names are case-insensitive); an empty host means every interface;
/// IPv6 hosts are written in brackets (<c>PLAINTEXT://[::1]:9092</c>) and stored without them. Port 0 asks the
/// OS for a free port (tests). Immutable.
/// </summary>
public sealed record Listener(string Name, string Host, int Port)
{
    public override string ToString() =>
        $"{Name}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>NAME://host:port</c>.</summary>
    /// <exception cref="FormatException">the text is not a listener; the message says why.</exception>
    public static Listener Parse(string text) =>
        TryParse(text, out var listener, out var error) ? listener : throw new FormatException(error);

    public static bool TryParse(string text, [NotNullWhen(true)] out Listener? listener, [NotNullWhen(false)] out string? error)
    {
        listener = null;
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            error = $"'{text}' is not NAME://host:port";
            return false;
        }

        var name = text[..separator];
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            error = $"listener name '{name}' may contain only letters, digits, '_' and '-'";
            return false;
        }

        var address = text[(separator + 3)..];
        var colon = address.LastIndexOf(':');
        if (colon < 0)
        {
            error = $"'{text}' has no port";
            return false;
        }

        var host = address[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            error = $"'{text}': write an IPv6 host in brackets, e.g. [::1]";
            return false;
        }

        if (!int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' has no valid port (0-65535)";
            return false;
        }

        listener = new Listener(name.ToUpperInvariant(), host, port);
        error = null;
        return true;
    }
}
