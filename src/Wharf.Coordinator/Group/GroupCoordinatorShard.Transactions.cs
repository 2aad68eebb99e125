using System.Text;
using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Records;

namespace Wharf.Coordinator.Group;

/// <summary>
/// Transactional offset commits (TxnOffsetCommit, KIP-98). The offsets are written at once, as a transactional batch
/// of the producer (its id and epoch, the transactional attribute), but stay <b>pending</b> — invisible to OffsetFetch,
/// which answers UNSTABLE_OFFSET_COMMIT for them when asked for stable offsets — until the transaction coordinator
/// writes the producer's COMMIT marker to this partition (<see cref="CompleteTransactionAsync"/>): then they become the
/// committed offsets; an ABORT marker discards them. A replay does the same from the batches and markers in the log,
/// and keeps offsets of transactions still without a marker pending (the coordinator completes them).
/// </summary>
internal sealed partial class GroupCoordinatorShard
{
    /// <summary>Pending transactional offsets by producer id, then (group, partition). Guarded by the shard lock.</summary>
    private readonly Dictionary<long, Dictionary<(string Group, TopicPartition Partition), CommittedOffset>> _pendingTxnOffsets = [];

    public Task<TxnOffsetCommitResponse> TxnCommitOffsetsAsync(TxnOffsetCommitRequest request)
    {
        lock (_lock)
        {
            var error = StatusLocked();
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
                return Task.FromResult(response);
            }

            if (group is null)
            {
                group = new ClassicGroup(request.GroupId, Now);
                _groups[request.GroupId] = group;
            }

            var builder = new RecordBatchBuilder { ProducerId = request.ProducerId, ProducerEpoch = request.ProducerEpoch, BaseSequence = 0, IsTransactional = true };
            foreach (var (tp, offset) in toWrite)
            {
                builder.Append(now, OffsetsTopicRecords.OffsetCommitKey(request.GroupId, tp.Topic, tp.Partition), OffsetsTopicRecords.OffsetCommitValue(offset));
            }

            var groupId = request.GroupId;
            var producerId = request.ProducerId;
            return AppendBatch(builder.ToArray(), () =>
                {
                    if (!_pendingTxnOffsets.TryGetValue(producerId, out var pending))
                    {
                        pending = [];
                        _pendingTxnOffsets[producerId] = pending;
                    }

                    foreach (var (tp, offset) in toWrite)
                    {
                        pending[(groupId, tp)] = offset;
                    }
                })
                .ContinueWith(
                    t =>
                    {
                        foreach (var result in results)
                        {
                            result.ErrorCode = (short)t.Result;
                        }

                        return response;
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
        }
    }

    /// <summary>
    /// WriteTxnMarkers for this partition: appends the producer's COMMIT or ABORT marker and, once durable, makes its
    /// pending offsets committed (or drops them). NOT_COORDINATOR when this shard is not loaded (the caller retries).
    /// </summary>
    public Task<ErrorCode> CompleteTransactionAsync(long producerId, short producerEpoch, int coordinatorEpoch, bool commit)
    {
        lock (_lock)
        {
            if (StatusLocked() is var status && status != ErrorCode.None)
            {
                return Task.FromResult(status);
            }

            var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = producerEpoch };
            builder.AppendEndTransactionMarker(new EndTransactionMarker(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch), Now.ToUnixTimeMilliseconds());
            return AppendBatch(builder.ToArray(), () =>
            {
                if (!_pendingTxnOffsets.Remove(producerId, out var pending) || !commit)
                {
                    return;
                }

                foreach (var ((groupId, tp), offset) in pending)
                {
                    if (!_groups.TryGetValue(groupId, out var group))
                    {
                        group = new ClassicGroup(groupId, Now);
                        _groups[groupId] = group;
                    }

                    group.Offsets[tp] = offset;
                }
            });
        }
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

    /// <summary>After a replay: offsets of transactions without a marker yet stay pending.</summary>
    private void RestorePendingTransactionalOffsets(Replay replay)
    {
        _pendingTxnOffsets.Clear();
        foreach (var (producerId, records) in replay.PendingTransactional)
        {
            var pending = new Dictionary<(string Group, TopicPartition Partition), CommittedOffset>();
            foreach (var (key, value) in records)
            {
                if (value is not null && OffsetsTopicRecords.ReadKey(key) is OffsetsTopicRecords.OffsetKey offsetKey)
                {
                    pending[(offsetKey.Group, new TopicPartition(offsetKey.Topic, offsetKey.Partition))] = OffsetsTopicRecords.ReadOffsetCommitValue(value);
                }
            }

            if (pending.Count > 0)
            {
                _pendingTxnOffsets[producerId] = pending;
            }
        }
    }

    private sealed partial class Replay
    {
        /// <summary>Records of transactional batches by producer id, in log order, until the producer's marker.</summary>
        public Dictionary<long, List<(byte[] Key, byte[]? Value)>> PendingTransactional { get; } = [];

        private void StageTransactional(long producerId, ReadOnlySpan<byte> key, byte[]? value)
        {
            if (!PendingTransactional.TryGetValue(producerId, out var records))
            {
                records = [];
                PendingTransactional[producerId] = records;
            }

            records.Add((key.ToArray(), value));
        }

        /// <summary>A COMMIT marker applies the producer's staged records; an ABORT drops them.</summary>
        private void ApplyMarker(in RecordBatchHeader header, ReadOnlySpan<byte> batch)
        {
            if (!header.HasProducerId || !PendingTransactional.Remove(header.ProducerId, out var records))
            {
                return;
            }

            if (RecordBatchReader.TryOpen(batch, MaxDecompressedBatchBytes, out var reader) != RecordBatchError.None)
            {
                return;
            }

            var commit = false;
            using (reader)
            {
                foreach (var record in reader)
                {
                    commit = EndTransactionMarker.TryRead(record, out var marker) && marker.Type == ControlRecordType.Commit;
                    break;
                }
            }

            if (commit)
            {
                foreach (var (key, value) in records)
                {
                    ApplyRecord(key, value);
                }
            }
        }
    }
}
