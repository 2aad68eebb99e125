using Wharf.Coordinator;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// OffsetCommit (API 8), v0–8: stores a group's offsets (with metadata strings and, v6+, leader epochs) and answers
/// once they are durable. Generation -1 with an empty member id is a "simple" commit outside a live group; v0 carries
/// neither, so it is always one. v0 offsets went to ZooKeeper in old Kafka, apart from the v1+ ones; here every version
/// shares the one store in <c>__consumer_offsets</c>, so what a v0 client commits a v9 client reads and vice versa.
/// v1's per-partition commit timestamp (-1: now) is kept as the commit time, which is where expiry of an empty group's
/// offsets counts from. The v2–4 retention time is ignored: offsets expire per <c>offsets.retention.minutes</c> once
/// the group is empty (KIP-211).
/// Thread-safety: stateless.
/// </summary>
public sealed class OffsetCommitHandler(GroupCoordinator groups) : IRequestHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public static ApiVersionRange Versions => new(0, 8);

    public async ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request, CancellationToken cancellationToken) =>
        await groups.CommitOffsetsAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
}
