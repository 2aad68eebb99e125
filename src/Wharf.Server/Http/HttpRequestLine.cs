using System.Diagnostics.CodeAnalysis;

namespace Wharf.Server.Http;

/// <summary>The parts of an HTTP/1.x request the admin listener routes on: method and path (query dropped). Immutable.</summary>
public sealed record HttpRequestLine(string Method, string Path)
{
    /// <summary>Parses the first line of a request head (<c>GET /metrics HTTP/1.1</c>); false for anything else.</summary>
    public static bool TryParse(string head, [NotNullWhen(true)] out HttpRequestLine? request)
    {
        request = null;
        var lineEnd = head.IndexOf("\r\n", StringComparison.Ordinal);
        var parts = (lineEnd < 0 ? head : head[..lineEnd]).Split(' ');
        if (parts is not [var method, var target, var version]
            || !version.StartsWith("HTTP/1.", StringComparison.Ordinal)
            || method.Length == 0 || !method.All(char.IsAsciiLetterUpper)
            || !target.StartsWith('/'))
        {
            return false;
        }

        var query = target.IndexOf('?');
        request = new HttpRequestLine(method, query < 0 ? target : target[..query]);
        return true;
    }
}
