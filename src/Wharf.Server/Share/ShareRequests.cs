using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Server.Share;

/// <summary>
/// What ShareFetch and ShareAcknowledge share: the same topic id given twice merged into one entry (librdkafka may
/// split a topic's partitions over several entries), topic ids resolved to partitions, acknowledgements applied
/// partition by partition, and a closed session's records released. Thread-safety: stateless.
/// </summary>
internal static class ShareRequests
{
    /// <summary>Acknowledgements per partition, in request order, topics merged by id.</summary>
    public static List<(Guid TopicId, int Partition, List<AcknowledgementBatch> Batches)> Merge(IEnumerable<(Guid TopicId, int Partition, IEnumerable<AcknowledgementBatch> Batches)> entries)
    {
        var merged = new List<(Guid, int, List<AcknowledgementBatch>)>();
        var index = new Dictionary<(Guid, int), int>();
        foreach (var (topicId, partition, batches) in entries)
        {
            if (!index.TryGetValue((topicId, partition), out var at))
            {
                at = merged.Count;
                index[(topicId, partition)] = at;
                merged.Add((topicId, partition, []));
            }

            merged[at].Item3.AddRange(batches);
        }

        return merged;
    }

    /// <summary>The partition a topic id and index name, or the error to answer for it.</summary>
    public static (ErrorCode Error, TopicPartition Partition) Resolve(MetadataImage image, Guid topicId, int partition) =>
        !image.TryGetTopic(topicId, out var topic) ? (ErrorCode.UnknownTopicId, default)
        : !topic.Partitions.ContainsKey(partition) ? (ErrorCode.UnknownTopicOrPartition, default)
        : (ErrorCode.None, new TopicPartition(topic.Name, partition));

    /// <summary>KIP-951's hint for a partition answered NOT_LEADER_OR_FOLLOWER: its current leader and epoch, or null when the topic id or partition is unknown.</summary>
    public static (int LeaderId, int LeaderEpoch)? CurrentLeader(Handlers.LeaderHints hints, MetadataImage image, Guid topicId, int partition) =>
        Resolve(image, topicId, partition) is { Error: ErrorCode.None } resolved ? hints.CurrentLeader(resolved.Partition) : null;

    /// <summary>Applies each partition's acknowledgements; the error per partition (NONE when applied and durable).</summary>
    public static async Task<Dictionary<(Guid TopicId, int Partition), ErrorCode>> AcknowledgeAsync(
        SharePartitionManager shares,
        MetadataImage image,
        string groupId,
        string memberId,
        List<(Guid TopicId, int Partition, List<AcknowledgementBatch> Batches)> acknowledgements,
        CancellationToken cancellationToken)
    {
        var results = new Dictionary<(Guid, int), ErrorCode>();
        var pending = new List<(Guid, int, Task<ErrorCode>)>();
        foreach (var (topicId, index, batches) in acknowledgements)
        {
            if (batches.Count == 0)
            {
                continue;
            }

            var (error, partition) = Resolve(image, topicId, index);
            if (error != ErrorCode.None)
            {
                results[(topicId, index)] = error;
                continue;
            }

            pending.Add((topicId, index, shares.AcknowledgeAsync(groupId, memberId, partition, topicId, batches, cancellationToken)));
        }

        foreach (var (topicId, index, task) in pending)
        {
            results[(topicId, index)] = await task.ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// Accepts a request into the member's share session (see <see cref="ShareSessionCache.Accept"/>), first releasing
    /// the records of idle sessions evicted to make room.
    /// </summary>
    public static async Task<(ErrorCode Error, ShareSession? Session)> AcceptAsync(ShareSessionCache sessions, SharePartitionManager shares, MetadataImage image, string groupId, string memberId, int epoch, CancellationToken cancellationToken)
    {
        var evicted = new List<ShareSession>();
        var accepted = sessions.Accept(groupId, memberId, epoch, evicted);
        foreach (var idle in evicted)
        {
            await ReleaseAsync(shares, image, idle, cancellationToken).ConfigureAwait(false);
        }

        return accepted;
    }

    /// <summary>Releases what the member of a closed or evicted session still holds in its partitions.</summary>
    public static Task ReleaseAsync(SharePartitionManager shares, MetadataImage image, ShareSession session, CancellationToken cancellationToken) =>
        shares.ReleaseMemberAsync(
            session.GroupId,
            session.MemberId,
            session.Partitions.Select(p => (Resolve(image, p.TopicId, p.Partition), p.TopicId)).Where(p => p.Item1.Error == ErrorCode.None).Select(p => (p.Item1.Partition, p.TopicId)).ToList(),
            cancellationToken);
}
