using System.Buffers;
using System.Globalization;
using System.Text;
using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Server.Forwarding;
using CreateTopicRequest = Wharf.Metadata.CreateTopicRequest;

namespace Wharf.Server.Share;

/// <summary>
/// Appends dead letters of a share group to its dead-letter topic (<c>group.share.dead.letter.topic</c>): each record
/// with its own key, value, timestamp and headers, plus headers naming where it came from and why —
/// <c>wharf.dlq.group</c>, <c>wharf.dlq.topic</c>, <c>wharf.dlq.partition</c>, <c>wharf.dlq.offset</c>,
/// <c>wharf.dlq.delivery.count</c> and <c>wharf.dlq.reason</c> (<c>rejected</c> or <c>delivery-limit</c>). The topic is
/// created with the broker's defaults when missing; letters of source partition p go to its partition
/// <c>p mod partitions</c>, so their order is kept. The append is acks=all: locally when this broker leads that
/// partition, else a Produce to its leader.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class DeadLetterWriter(ReplicaManager replicas, Func<MetadataImage> image, TopicCreator topics, BrokerConnectionPool connections) : IDeadLetterWriter
{
    private const short ProduceVersion = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<ErrorCode> WriteAsync(string groupId, string topic, TopicPartition source, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return ErrorCode.None;
        }

        if (!image().TryGetTopic(topic, out var target))
        {
            var (created, _) = await topics.EnsureAsync(new CreateTopicRequest(topic), cancellationToken).ConfigureAwait(false);
            if (created != ErrorCode.None || !image().TryGetTopic(topic, out target))
            {
                return created == ErrorCode.None ? ErrorCode.UnknownTopicOrPartition : created;
            }
        }

        var index = source.Partition % target.PartitionCount;
        var batch = Batch(groupId, source, letters);
        var local = replicas.GetPartition(new TopicPartition(topic, index));
        if (local is not null && local.IsLeader)
        {
            try
            {
                await new InternalTopicWriter(replicas, topic).AppendAsync(index, local.LeaderEpoch, batch).ConfigureAwait(false);
                return ErrorCode.None;
            }
            catch (PartitionWriteException e)
            {
                return e.Error;
            }
        }

        if (!target.Partitions.TryGetValue(index, out var partition) || partition.Leader < 0)
        {
            return ErrorCode.LeaderNotAvailable;
        }

        var request = new ProduceRequest { Acks = -1, TimeoutMs = (int)Timeout.TotalMilliseconds };
        request.TopicData.Add(new() { Name = topic, PartitionData = [new() { Index = index, Records = new ReadOnlySequence<byte>(batch) }] });
        try
        {
            var response = await connections.SendAsync<ProduceRequest, ProduceResponse>(partition.Leader, request, ProduceVersion, cancellationToken).ConfigureAwait(false);
            return (ErrorCode)(response.Responses.SelectMany(r => r.PartitionResponses).FirstOrDefault()?.ErrorCode ?? (short)ErrorCode.UnknownServerError);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return ErrorCode.NetworkException;
        }
    }

    private static byte[] Batch(string groupId, TopicPartition source, IReadOnlyList<DeadLetter> letters)
    {
        var builder = new RecordBatchBuilder();
        foreach (var letter in letters)
        {
            var headers = letter.Headers.ToList();
            headers.Add(Header("wharf.dlq.group", groupId));
            headers.Add(Header("wharf.dlq.topic", source.Topic));
            headers.Add(Header("wharf.dlq.partition", source.Partition.ToString(CultureInfo.InvariantCulture)));
            headers.Add(Header("wharf.dlq.offset", letter.Offset.ToString(CultureInfo.InvariantCulture)));
            headers.Add(Header("wharf.dlq.delivery.count", letter.DeliveryCount.ToString(CultureInfo.InvariantCulture)));
            headers.Add(Header("wharf.dlq.reason", letter.Reason == Coordinator.Share.ArchiveReason.Rejected ? "rejected" : "delivery-limit"));
            builder.Append(letter.Timestamp, letter.Key, letter.Value, [.. headers]);
        }

        return builder.ToArray();
    }

    private static RecordHeaderEntry Header(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));
}
