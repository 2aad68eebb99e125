using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// ShareGroupHeartbeat (API 76), v1 (KIP-932): a member joins a share group (epoch 0, with a client-chosen member id),
/// heartbeats and learns its assignment, or leaves (epoch -1); see the group coordinator's share part. Answered by the
/// group's coordinator (NOT_COORDINATOR elsewhere). Thread-safety: stateless.
/// </summary>
public sealed class ShareGroupHeartbeatHandler(GroupCoordinator groups) : IRequestHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>
{
    public static ApiVersionRange Versions => new(1, 1);

    public async ValueTask<ShareGroupHeartbeatResponse?> HandleAsync(RequestContext context, ShareGroupHeartbeatRequest request, CancellationToken cancellationToken) =>
        await groups.ShareGroupHeartbeatAsync(request, context.ClientId ?? "", JoinGroupHandler.ClientHost(context)).WaitAsync(cancellationToken).ConfigureAwait(false);
}
