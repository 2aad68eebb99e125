using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>What clients do with a partition: append, read, look up offsets, delete records, describe producers.</summary>
public sealed partial class Partition
{
    /// <summary>
    /// Appends as leader (Kafka's <c>appendRecordsToLeader</c>); completes, for acks=1, when the batches are durable on
    /// this broker, and for acks=-1 when the high watermark has passed them — every in-sync replica holds them durably
    /// (the wait is parked on the high watermark's signal, not polled). The leader epoch stamped into the batches is
    /// the one this partition holds while the log appends: a transition waits for the append, and an append after one
    /// is refused.
    /// </summary>
    /// <param name="records">Record batches as received; see <see cref="Log.AppendAsLeader"/>.</param>
    /// <param name="origin"><see cref="AppendOrigin.Coordinator"/> for transaction markers and coordinator batches.</param>
    /// <param name="crcVerified">See <see cref="Log.AppendAsLeader"/>.</param>
    /// <param name="requiredAcks">The producer's acks: with -1 (all), fewer in-sync replicas than the topic's
    /// <c>min.insync.replicas</c> refuse the write with NOT_ENOUGH_REPLICAS before anything is appended, as Kafka does.</param>
    /// <param name="timeout">How long acks=-1 waits for the in-sync replicas (the request's timeout); then REQUEST_TIMED_OUT.</param>
    /// <exception cref="LogException">NOT_LEADER_OR_FOLLOWER or KAFKA_STORAGE_ERROR (see <see cref="CheckLeaderEpoch"/>),
    /// NOT_ENOUGH_REPLICAS, or any error of <see cref="Log.AppendAsLeader"/>; for acks=-1 after the append,
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR shrank below <c>min.insync.replicas</c> meanwhile), REQUEST_TIMED_OUT,
    /// or NOT_LEADER_OR_FOLLOWER (leadership moved before the replicas had the batches).</exception>
    public async Task<LogAppendInfo> AppendAsLeaderAsync(Memory<byte> records, AppendOrigin origin = AppendOrigin.Client, bool crcVerified = false, short requiredAcks = 1, TimeSpan? timeout = null)
    {
        LogAppendInfo info;
        int term;
        lock (_leadershipLock)
        {
            if (CheckLeaderEpoch(-1) is var error && error != ErrorCode.None)
            {
                throw new LogException(error, error == ErrorCode.NotLeaderOrFollower
                    ? $"This broker ({LocalBrokerId}) is not the leader of {TopicPartition}; the leader is {_leadership.LeaderId} at epoch {_leadership.LeaderEpoch}."
                    : $"{TopicPartition} is offline on this broker.");
            }

            var leadership = _leadership;
            if (requiredAcks == -1 && leadership.Isr.Length < _log.Config.MinInsyncReplicas)
            {
                throw new LogException(ErrorCode.NotEnoughReplicas,
                    $"{TopicPartition} has {leadership.Isr.Length} in-sync replica(s); min.insync.replicas is {_log.Config.MinInsyncReplicas}.");
            }

            info = _log.AppendAsLeader(records, leadership.LeaderEpoch, origin, crcVerified);
            term = leadership.LeaderEpoch;
        }

        WakeLogEndWaiters();
        await info.Durable.ConfigureAwait(false);
        MaybeIncrementHighWatermark();
        if (requiredAcks == -1)
        {
            _context.Counters.ProduceParked(1);
            try
            {
                await WaitForHighWatermarkAsync(info.LastOffset + 1, term, timeout ?? Timeout.InfiniteTimeSpan).ConfigureAwait(false);
            }
            finally
            {
                _context.Counters.ProduceParked(-1);
            }

            if (MaximalIsr.Length < _log.Config.MinInsyncReplicas)
            {
                throw new LogException(ErrorCode.NotEnoughReplicasAfterAppend,
                    $"{TopicPartition}: the batch is replicated but the ISR shrank below min.insync.replicas ({_log.Config.MinInsyncReplicas}) meanwhile.");
            }
        }

        return info;
    }

    /// <summary>
    /// Waits until the high watermark reaches <paramref name="offset"/> while this broker leads at
    /// <paramref name="leaderEpoch"/> (Kafka's delayed produce): NOT_LEADER_OR_FOLLOWER when leadership moves first,
    /// REQUEST_TIMED_OUT after <paramref name="timeout"/>.
    /// </summary>
    private async Task WaitForHighWatermarkAsync(long offset, int leaderEpoch, TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _context.Time.GetUtcNow() + timeout;
        while (true)
        {
            var signal = WaitForAppendAsync();
            if (HighWatermark >= offset)
            {
                return;
            }

            var leadership = Leadership;
            if (leadership.Role != PartitionRole.Leader || leadership.LeaderEpoch != leaderEpoch)
            {
                throw new LogException(ErrorCode.NotLeaderOrFollower,
                    $"{TopicPartition}: leadership moved (now {leadership.Role} at epoch {leadership.LeaderEpoch}) before the in-sync replicas had offset {offset - 1}.");
            }

            if (deadline == DateTimeOffset.MaxValue)
            {
                await signal.ConfigureAwait(false);
                continue;
            }

            var remaining = deadline - _context.Time.GetUtcNow();
            try
            {
                await signal.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _context.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                if (HighWatermark >= offset)
                {
                    return;
                }

                throw new LogException(ErrorCode.RequestTimedOut,
                    $"{TopicPartition}: the in-sync replicas [{string.Join(",", MaximalIsr)}] did not all have offset {offset - 1} within {timeout.TotalMilliseconds} ms.");
            }
        }
    }

    /// <summary>
    /// Reads whole batches for a consumer (Kafka's <c>fetchRecords</c>): checks the request's leader epoch, then reads
    /// from <see cref="PartitionFetch.FetchOffset"/> up to the high watermark (or the last stable offset, with the
    /// aborted transactions overlapping the range, for read_committed). Never throws for a routine outcome.
    /// </summary>
    /// <returns>
    /// An error of <see cref="CheckLeaderEpoch"/> with every offset -1; or the partition's offsets with
    /// OFFSET_OUT_OF_RANGE (below the log start, above the log end, or the data was deleted under the read),
    /// KAFKA_STORAGE_ERROR (the log is offline at that offset), or NONE with the records (possibly none).
    /// </returns>
    public PartitionFetchResult Read(in PartitionFetch fetch)
    {
        var epochError = CheckLeaderEpoch(fetch.CurrentLeaderEpoch);
        if (epochError != ErrorCode.None)
        {
            return PartitionFetchResult.Failed(epochError);
        }

        // High watermark first, then the last stable offset (see LastStableOffset), then the data, then the aborted
        // transactions: the log publishes in the opposite order, so aborted data never comes without its entry.
        var readCommitted = fetch.Isolation == FetchIsolation.TransactionCommitted;
        var highWatermark = HighWatermark;
        var lastStable = Math.Min(highWatermark, LastStableOffset);
        var result = new PartitionFetchResult(ErrorCode.None, LogFileSlice.Empty, highWatermark, lastStable, _log.LogStartOffset, readCommitted ? [] : null);
        var readable = fetch.Isolation == FetchIsolation.LogEnd ? Math.Max(highWatermark, _log.LogEndOffset) : highWatermark;
        var bound = Math.Min(fetch.Isolation == FetchIsolation.TransactionCommitted ? lastStable : readable, fetch.MaxOffset);
        if (fetch.FetchOffset > Math.Max(readable, _log.LogEndOffset))
        {
            return result with { Error = ErrorCode.OffsetOutOfRange };
        }

        // Between the high watermark and the log end is not out of range (as in Kafka): a new leader's high watermark
        // can trail what consumers read from the previous leader until its followers catch up; they wait, not reset.
        if (fetch.FetchOffset >= readable || fetch.MaxBytes <= 0 && !fetch.MinOneBatch || fetch.FetchOffset >= bound)
        {
            return result;
        }

        try
        {
            var read = _log.Read(fetch.FetchOffset, Math.Max(fetch.MaxBytes, 1), bound, fetch.MinOneBatch);
            result = result with { Records = read.Slice, LogStartOffset = read.LogStartOffset };
            if (readCommitted && !read.Slice.IsEmpty)
            {
                result = result with { AbortedTransactions = _log.CollectAbortedTransactions(fetch.FetchOffset, read.Slice.NextOffset) };
            }

            return result;
        }
        catch (OffsetOutOfRangeException)
        {
            // Below the log start, which may have moved since it was read above: answer the current one.
            return result with { Error = ErrorCode.OffsetOutOfRange, LogStartOffset = _log.LogStartOffset };
        }
        catch (LogStorageException)
        {
            // The log is offline (a failed fsync) and this offset is at or above what it still serves.
            return result with { Error = ErrorCode.KafkaStorageError };
        }
        catch (ObjectDisposedException)
        {
            // The segment file closed under this read (retention or deletion won the race; see LogFileSlice): its
            // offsets are gone, which is what OFFSET_OUT_OF_RANGE tells the client.
            return result with { Error = ErrorCode.OffsetOutOfRange, Records = LogFileSlice.Empty };
        }
    }

    /// <summary>
    /// OffsetForLeaderEpoch (Kafka's <c>lastOffsetForLeaderEpoch</c>, KIP-101/279/320): the largest epoch at or below
    /// <paramref name="leaderEpoch"/> this log knows and the offset where it ended — the start of the next epoch, or the
    /// log end offset for the current one. An epoch newer than any known is (-1, -1). Answered by the leader only, after
    /// the KIP-320 check of <paramref name="currentLeaderEpoch"/>.
    /// </summary>
    public (ErrorCode Error, int Epoch, long EndOffset) EndOffsetForLeaderEpoch(int currentLeaderEpoch, int leaderEpoch)
    {
        var error = CheckLeaderEpoch(currentLeaderEpoch);
        if (error != ErrorCode.None)
        {
            return (error, -1, -1);
        }

        var (epoch, endOffset) = _log.LeaderEpochCache.EndOffsetFor(leaderEpoch, _log.LogEndOffset);
        return (ErrorCode.None, epoch, endOffset);
    }

    /// <summary>
    /// ListOffsets v1+ (Kafka's <c>fetchOffsetForTimestamp</c>): -2 the log start, -1 the high watermark (the last
    /// stable offset for read_committed), -3 the record with the largest timestamp, t ≥ 0 the first record whose
    /// timestamp is ≥ t — only below the high watermark; none found is offset and timestamp -1. Another negative
    /// timestamp is INVALID_REQUEST. The answer's leader epoch is the epoch that wrote a found record, else the
    /// partition's.
    /// </summary>
    public OffsetLookup FetchOffsetForTimestamp(long timestamp, int currentLeaderEpoch, bool readCommitted)
    {
        var error = CheckLeaderEpoch(currentLeaderEpoch);
        if (error != ErrorCode.None)
        {
            return new OffsetLookup(error, -1, -1, -1);
        }

        var epoch = LeaderEpoch;
        switch (timestamp)
        {
            case Log.EarliestTimestamp:
                return new OffsetLookup(ErrorCode.None, -1, _log.LogStartOffset, epoch);
            case Log.LatestTimestamp:
                return new OffsetLookup(ErrorCode.None, -1, readCommitted ? LastStableOffset : HighWatermark, epoch);
            case Log.MaxTimestampQuery or >= 0:
                return _log.FetchOffsetByTimestamp(timestamp) is { } found && found.Offset < HighWatermark
                    ? new OffsetLookup(ErrorCode.None, found.Timestamp, found.Offset, found.LeaderEpoch)
                    : new OffsetLookup(ErrorCode.None, -1, -1, epoch);
            default:
                return new OffsetLookup(ErrorCode.InvalidRequest, -1, -1, -1);
        }
    }

    /// <summary>
    /// ListOffsets v0 (Kafka's <c>legacyFetchOffsetsForTimestamp</c>), newest first, at most
    /// <paramref name="maxNumOffsets"/>: for -1 the high watermark followed by the base offsets of the segments below
    /// it, for -2 the log start, for t ≥ 0 the first offset whose record timestamp is ≥ t, or the high watermark when
    /// no record is that new.
    /// </summary>
    public (ErrorCode Error, IReadOnlyList<long> Offsets) LegacyOffsetsBefore(long timestamp, int maxNumOffsets)
    {
        var error = CheckLeaderEpoch(-1);
        if (error != ErrorCode.None)
        {
            return (error, []);
        }

        var highWatermark = HighWatermark;
        var logStart = _log.LogStartOffset;
        IEnumerable<long> offsets = timestamp switch
        {
            Log.LatestTimestamp => [highWatermark, .. _log.SegmentBaseOffsets.Select(b => Math.Max(b, logStart)).Where(b => b < highWatermark).Distinct().OrderDescending()],
            Log.EarliestTimestamp => [logStart],
            _ => [_log.FetchOffsetByTimestamp(timestamp) is { } found && found.Offset < highWatermark ? found.Offset : highWatermark],
        };
        return (ErrorCode.None, [.. offsets.Take(maxNumOffsets)]);
    }

    /// <summary>
    /// DeleteRecords on the leader (Kafka's <c>deleteRecordsOnLeader</c>): moves the log start offset forward to
    /// <paramref name="offset"/> (-1: the high watermark), never back. Beyond the high watermark or negative is
    /// OFFSET_OUT_OF_RANGE. Returns the new low watermark (the log start offset), -1 on error.
    /// </summary>
    public (ErrorCode Error, long LowWatermark) DeleteRecordsOnLeader(long offset)
    {
        var error = CheckLeaderEpoch(-1);
        if (error != ErrorCode.None)
        {
            return (error, -1);
        }

        var highWatermark = HighWatermark;
        var target = offset == -1 ? highWatermark : offset;
        if (target < 0 || target > highWatermark)
        {
            return (ErrorCode.OffsetOutOfRange, -1);
        }

        try
        {
            _log.IncrementLogStartOffset(target);
            return (ErrorCode.None, _log.LogStartOffset);
        }
        catch (LogException e)
        {
            return (e.ErrorCode, -1);
        }
    }

    /// <summary>DescribeProducers: the producers this leader knows (idempotence and open transactions), by producer id.</summary>
    public (ErrorCode Error, IReadOnlyList<ProducerStateEntry> Producers) ActiveProducers()
    {
        var error = CheckLeaderEpoch(-1);
        return error != ErrorCode.None ? (error, []) : (ErrorCode.None, [.. _log.ActiveProducers().OrderBy(p => p.ProducerId)]);
    }
}
