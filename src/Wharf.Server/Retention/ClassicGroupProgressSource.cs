using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Retention;

/// <summary>
/// Classic consumer groups' progress: a group's committed offsets (OffsetFetch). The group's coordinator is the leader
/// of its <c>__consumer_offsets</c> partition (<see cref="GroupCoordinator.PartitionFor(string)"/>, as FindCoordinator
/// finds it): when that is this broker the coordinator is asked in-process, else that broker is sent OffsetFetch v7
/// over <paramref name="connections"/>. Offsets are read without <c>require_stable</c>: a commit still being written
/// leaves the older offset, which is lower, so the answer can only keep more.
/// <para>
/// Answers null (see <see cref="IGroupProgressSource"/>) when the topic or the coordinator partition has no live
/// leader, the coordinator answers an error (not loaded, moved, invalid id), the peer cannot be reached, or the group
/// has committed nothing for the topic — the last also covers a group id that is not a classic group, so a share-group
/// source gets to answer. Partitions with no committed offset (-1) or a partition-level error are left out.
/// </para>
/// Thread-safety: stateless; the coordinator and the pool are safe from any thread.
/// </summary>
public sealed class ClassicGroupProgressSource(GroupCoordinator groups, Func<MetadataImage> image, BrokerConnectionPool connections, ILogger logger) : IGroupProgressSource
{
    private const short OffsetFetchVersion = 7;

    public async ValueTask<IReadOnlyDictionary<int, long>?> ConsumedOffsetsAsync(string group, string topic, CancellationToken cancellationToken)
    {
        var current = image();
        if (!current.TryGetTopic(topic, out var topicImage)
            || !current.TryGetPartition(new TopicPartition(GroupCoordinator.OffsetsTopic, groups.PartitionFor(group)), out var coordinatorPartition)
            || coordinatorPartition.Leader < 0 || !current.IsLive(coordinatorPartition.Leader))
        {
            return null;
        }

        List<OffsetFetchRequest.OffsetFetchRequestTopic> asked = [new() { Name = topic, PartitionIndexes = [.. topicImage.Partitions.Keys] }];
        ErrorCode error;
        List<OffsetFetchResponse.OffsetFetchResponseTopic> topics;
        if (coordinatorPartition.Leader == current.NodeId)
        {
            (error, topics) = groups.FetchOffsets(group, asked, requireStable: false);
        }
        else
        {
            try
            {
                var response = await connections.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(
                    coordinatorPartition.Leader, new OffsetFetchRequest { GroupId = group, Topics = asked }, OffsetFetchVersion, cancellationToken).ConfigureAwait(false);
                (error, topics) = ((ErrorCode)response.ErrorCode, response.Topics);
            }
            catch (IOException e)
            {
                logger.LogDebug(e, "Could not fetch the offsets of group {Group} from broker {Broker}", group, coordinatorPartition.Leader);
                return null;
            }
        }

        if (error != ErrorCode.None)
        {
            logger.LogDebug("The coordinator of group {Group} answered {Error} for its offsets", group, error);
            return null;
        }

        var offsets = new Dictionary<int, long>();
        foreach (var partition in topics.Where(t => t.Name == topic).SelectMany(t => t.Partitions))
        {
            if (partition.ErrorCode == (short)ErrorCode.None && partition.CommittedOffset >= 0)
            {
                offsets[partition.PartitionIndex] = partition.CommittedOffset;
            }
        }

        return offsets.Count == 0 ? null : offsets;
    }
}
