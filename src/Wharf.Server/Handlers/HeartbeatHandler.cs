using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// Heartbeat (API 12), v0–3: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
/// Thread-safety: stateless.
/// </summary>
public sealed class HeartbeatHandler(GroupCoordinator groups) : IRequestHandler<HeartbeatRequest, HeartbeatResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<HeartbeatResponse?>(groups.Heartbeat(request));
}
