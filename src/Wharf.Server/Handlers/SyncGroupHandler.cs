using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// SyncGroup (API 14), v0–3: the leader hands in the assignment; every member parks until it is stored and gets its
/// own. Thread-safety: stateless.
/// </summary>
public sealed class SyncGroupHandler(GroupCoordinator groups) : IRequestHandler<SyncGroupRequest, SyncGroupResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request, CancellationToken cancellationToken) =>
        await groups.SyncGroupAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
}
