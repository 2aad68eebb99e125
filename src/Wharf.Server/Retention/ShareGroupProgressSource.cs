using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Metadata;
using Wharf.Server.Share;

namespace Wharf.Server.Retention;

/// <summary>
/// Progress of share groups (KIP-932) for <c>retention.consumed.groups</c>: each share-partition's start offset as its
/// share coordinator stores it — everything below was accepted or archived, so the queue is done with it. Answers only
/// when the group has stored state for every partition of the topic (null otherwise: not a share group of this topic,
/// or a partition not consumed yet, which keeps its data).
/// Thread-safety: stateless over a thread-safe persister.
/// </summary>
public sealed class ShareGroupProgressSource(IShareStatePersister persister, Func<MetadataImage> image) : IGroupProgressSource
{
    public async ValueTask<IReadOnlyDictionary<int, long>?> ConsumedOffsetsAsync(string group, string topic, CancellationToken cancellationToken)
    {
        if (!image().TryGetTopic(topic, out var described))
        {
            return null;
        }

        var offsets = new Dictionary<int, long>();
        foreach (var partition in described.Partitions.Keys)
        {
            var (error, state) = await persister.ReadAsync(new ShareKey(group, described.TopicId, partition), cancellationToken).ConfigureAwait(false);
            if (error != ErrorCode.None || state is null)
            {
                return null;
            }

            offsets[partition] = state.StartOffset;
        }

        return offsets;
    }
}
