using System.Net;
using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// JoinGroup (API 11), v0–5: a member joins a classic group and is answered when the generation forms (the request
/// parks for up to the rebalance timeout). v4+ hands a new dynamic member its id first (MEMBER_ID_REQUIRED); v5 adds
/// static membership. Thread-safety: stateless.
/// </summary>
public sealed class JoinGroupHandler(GroupCoordinator groups) : IRequestHandler<JoinGroupRequest, JoinGroupResponse>
{
    public static ApiVersionRange Versions => new(0, 5);

    public async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request, CancellationToken cancellationToken)
    {
        var response = await groups.JoinGroupAsync(request, context.ApiVersion, context.ClientId ?? "", ClientHost(context)).WaitAsync(cancellationToken).ConfigureAwait(false);
        response.ProtocolName ??= ""; // nullable only from v7
        return response;
    }

    /// <summary>As Kafka reports it: "/" and the client's address.</summary>
    internal static string ClientHost(RequestContext context) =>
        context.Connection.RemoteEndPoint is IPEndPoint ip ? "/" + ip.Address : "/" + context.Connection.RemoteEndPoint;
}
