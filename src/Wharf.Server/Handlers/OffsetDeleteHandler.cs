using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetDelete (API 47), v0: deletes a group's offsets for partitions of topics no member subscribes to
/// (GROUP_SUBSCRIBED_TO_TOPIC otherwise; GROUP_ID_NOT_FOUND for an unknown group). Thread-safety: stateless.
/// </summary>
public sealed class OffsetDeleteHandler(GroupCoordinator groups) : IRequestHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public static ApiVersionRange Versions => new(0, 0);

    public async ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request, CancellationToken cancellationToken) =>
        await groups.DeleteOffsetsAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
}
