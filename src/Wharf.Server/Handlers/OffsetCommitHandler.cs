using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetCommit (API 8), v2–8: stores a group's offsets (with metadata strings and, v6+, leader epochs) and answers
/// once they are durable. Generation -1 with an empty member id is a "simple" commit outside a live group. The v2–4
/// retention time is ignored: offsets expire per <c>offsets.retention.minutes</c> once the group is empty (KIP-211).
/// Thread-safety: stateless.
/// </summary>
public sealed class OffsetCommitHandler(GroupCoordinator groups) : IRequestHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public static ApiVersionRange Versions => new(2, 8);

    public async ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request, CancellationToken cancellationToken) =>
        await groups.CommitOffsetsAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
}
