using System.Text;

namespace Wharf.Server.Http;

/// <summary>A complete response of the admin listener: status, content type and body. Immutable.</summary>
public sealed record HttpAdminResponse(int Status, string Reason, string ContentType, ReadOnlyMemory<byte> Body)
{
    public static HttpAdminResponse Text(int status, string reason, string body) =>
        new(status, reason, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(body));

    public static HttpAdminResponse Json(int status, string reason, string body) =>
        new(status, reason, "application/json", Encoding.UTF8.GetBytes(body));
}
