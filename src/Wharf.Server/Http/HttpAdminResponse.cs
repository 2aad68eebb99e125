using System.Text;

namespace Wharf.Server.Http;

/// <summary>A complete answer of <see cref="HttpAdminRoutes"/>: status, content type and body. Immutable.</summary>
public sealed record HttpAdminResponse(int Status, string ContentType, ReadOnlyMemory<byte> Body)
{
    public static HttpAdminResponse Json(int status, string body) => new(status, "application/json", Encoding.UTF8.GetBytes(body));
}
