using System.Text;
using Wharf.Common;
using Wharf.Coordinator.Runtime;
using Wharf.Protocol.Messages;
using Wharf.Records;

namespace Wharf.Coordinator.Group;

/// <summary>
/// Transactional offset commits (TxnOffsetCommit, KIP-98). The offsets are written at once, as a transactional batch
/// of the producer (its id and epoch, the transactional attribute), but stay <b>pending</b> — invisible to OffsetFetch,
/// which answers UNSTABLE_OFFSET_COMMIT for them when asked for stable offsets — until the transaction coordinator
/// writes the producer's COMMIT marker to this partition (<see cref="CompleteTransaction"/>): then they become the
/// committed offsets; an ABORT marker discards them. A replay does the same from the batches and markers in the log,
/// and keeps offsets of transactions still without a marker pending (the coordinator completes them).
/// </summary>
internal sealed partial class GroupCoordinatorShard
{
    /// <summary>Pending transactional offsets by producer id, then (group, partition). Changed only by replay.</summary>
    private readonly Dictionary<long, Dictionary<(string Group, TopicPartition Partition), CommittedOffset>> _pendingTxnOffsets = [];

    public CoordinatorResult<TxnOffsetCommitResponse> TxnCommitOffsets(TxnOffsetCommitRequest request)
    {
        var error = ErrorCode.None;
        _groups.TryGetValue(request.GroupId, out var group);
        if (error == ErrorCode.None && group is not null)
        {
            error = group.State == GroupState.Dead ? ErrorCode.CoordinatorNotAvailable
                : group.IsStaticMemberFenced(request.GroupInstanceId, request.MemberId) ? ErrorCode.FencedInstanceId
                : request.MemberId.Length > 0 && !group.Members.ContainsKey(request.MemberId) ? ErrorCode.UnknownMemberId
                : request.GenerationId >= 0 && request.GenerationId != group.Generation ? ErrorCode.IllegalGeneration
                : ErrorCode.None;
        }
        else if (error == ErrorCode.None && request.GenerationId >= 0)
        {
            error = ErrorCode.IllegalGeneration;
        }

        var response = new TxnOffsetCommitResponse();
        var results = new List<TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition>();
        var toWrite = new List<(TopicPartition Partition, CommittedOffset Offset)>();
        var now = Now.ToUnixTimeMilliseconds();
        foreach (var topic in request.Topics)
        {
            var topicResult = new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (var partition in topic.Partitions)
            {
                var result = new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                var partitionError = OffsetCommitError(error, topic.Name, partition.PartitionIndex, partition.CommittedMetadata);
                if (partitionError != ErrorCode.None)
                {
                    result.ErrorCode = (short)partitionError;
                }
                else
                {
                    results.Add(result);
                    toWrite.Add((new TopicPartition(topic.Name, partition.PartitionIndex), new CommittedOffset(partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata ?? "", now)));
                }
            }
        }

        if (toWrite.Count == 0)
        {
            return new(response);
        }

        if (group is null)
        {
            group = new ClassicGroup(request.GroupId, Now);
            _groups[request.GroupId] = group;
        }

        // A transactional batch of the producer; its replay stages the offsets until the producer's marker.
        var records = toWrite
            .Select(w => CoordinatorRecord.Transactional(request.ProducerId, request.ProducerEpoch, OffsetsTopicRecords.OffsetCommitKey(request.GroupId, w.Partition.Topic, w.Partition.Partition), OffsetsTopicRecords.OffsetCommitValue(w.Offset)))
            .ToList();
        return new(records, response)
        {
            ErrorResponse = error =>
            {
                foreach (var result in results)
                {
                    result.ErrorCode = (short)error;
                }

                return response;
            },
        };
    }

    /// <summary>
    /// WriteTxnMarkers for this partition: appends the producer's COMMIT or ABORT marker and, once durable, makes its
    /// pending offsets committed (or drops them). NOT_COORDINATOR when this shard is not loaded (the caller retries).
    /// </summary>
    public CoordinatorResult<ErrorCode> CompleteTransaction(long producerId, short producerEpoch, int coordinatorEpoch, bool commit)
    {
        var marker = new EndTransactionMarker(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch);
        return new([CoordinatorRecord.EndTransaction(producerId, producerEpoch, marker)], ErrorCode.None);
    }

    private bool HasPendingTransactionalOffset(string groupId, TopicPartition partition)
    {
        foreach (var pending in _pendingTxnOffsets.Values)
        {
            if (pending.ContainsKey((groupId, partition)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Replay of a transactional offset commit: staged under its producer until the producer's marker.</summary>
    private void ReplayTransactionalOffset(long producerId, OffsetsTopicRecords.OffsetKey key, byte[]? value)
    {
        if (!_pendingTxnOffsets.TryGetValue(producerId, out var pending))
        {
            pending = [];
            _pendingTxnOffsets[producerId] = pending;
        }

        var partition = new TopicPartition(key.Topic, key.Partition);
        if (value is null)
        {
            pending.Remove((key.Group, partition));
        }
        else
        {
            pending[(key.Group, partition)] = OffsetsTopicRecords.ReadOffsetCommitValue(value);
        }
    }

    /// <summary>Replay of a producer's marker: COMMIT makes its staged offsets the committed ones; ABORT drops them.</summary>
    private void ReplayEndTransaction(long producerId, EndTransactionMarker marker)
    {
        if (!_pendingTxnOffsets.Remove(producerId, out var pending) || marker.Type != ControlRecordType.Commit)
        {
            return;
        }

        foreach (var ((groupId, partition), offset) in pending)
        {
            GetOrCreateGroup(groupId).Offsets[partition] = offset;
        }
    }
}
