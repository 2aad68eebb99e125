using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>
/// Replication between a leader and its followers: what the leader serves a follower's fetch
/// (<see cref="ReadForFollower"/>, with the divergence check of KIP-320/KIP-595's Fetch v12), and what a follower does
/// with the answer — append as follower, truncate where its log diverged from the leader's, follow the leader's high
/// watermark and log start.
/// <para>Follower operations name the leader and leader epoch they fetched from and are refused
/// (NOT_LEADER_OR_FOLLOWER) unless the partition still follows that leader at that epoch, so a late answer from a
/// deposed leader is never applied.</para>
/// </summary>
public sealed partial class Partition
{
    /// <summary>
    /// Serves a follower's fetch (Kafka's <c>fetchRecords</c> for a replica): checks the leader epoch the follower
    /// names; when <paramref name="lastFetchedEpoch"/> is given and this log's end for that epoch is before
    /// <paramref name="fetchOffset"/> (or this log does not know that epoch), answers the diverging epoch and its end
    /// offset and nothing else, so the follower truncates; otherwise records the fetch
    /// (<see cref="UpdateFollowerFetchState"/>) and reads from <paramref name="fetchOffset"/> up to the log end.
    /// </summary>
    public ReplicaFetchResult ReadForFollower(int replicaId, long fetchOffset, int lastFetchedEpoch, int currentLeaderEpoch, int maxBytes)
    {
        var error = CheckLeaderEpoch(currentLeaderEpoch);
        if (error != ErrorCode.None)
        {
            return ReplicaFetchResult.Failed(error);
        }

        if (lastFetchedEpoch >= 0)
        {
            var (epoch, endOffset) = _log.LeaderEpochCache.EndOffsetFor(lastFetchedEpoch, _log.LogEndOffset);
            if (epoch < lastFetchedEpoch || endOffset < fetchOffset)
            {
                return new ReplicaFetchResult(ErrorCode.None, LogFileSlice.Empty, HighWatermark, _log.LogStartOffset, new DivergingEpoch(epoch, endOffset));
            }
        }

        if (fetchOffset < _log.LogStartOffset || fetchOffset > _log.LogEndOffset)
        {
            return new ReplicaFetchResult(ErrorCode.OffsetOutOfRange, LogFileSlice.Empty, HighWatermark, _log.LogStartOffset, null);
        }

        error = UpdateFollowerFetchState(replicaId, fetchOffset);
        if (error != ErrorCode.None)
        {
            return ReplicaFetchResult.Failed(error);
        }

        try
        {
            var read = _log.Read(fetchOffset, Math.Max(maxBytes, 1), long.MaxValue, minOneBatch: true);
            return new ReplicaFetchResult(ErrorCode.None, read.Slice, HighWatermark, read.LogStartOffset, null);
        }
        catch (OffsetOutOfRangeException)
        {
            return new ReplicaFetchResult(ErrorCode.OffsetOutOfRange, LogFileSlice.Empty, HighWatermark, _log.LogStartOffset, null);
        }
        catch (LogStorageException)
        {
            return ReplicaFetchResult.Failed(ErrorCode.KafkaStorageError);
        }
        catch (ObjectDisposedException)
        {
            return new ReplicaFetchResult(ErrorCode.OffsetOutOfRange, LogFileSlice.Empty, HighWatermark, _log.LogStartOffset, null);
        }
    }

    /// <summary>A task that completes at the next append to this log (or role change): what a follower's fetch waits for.</summary>
    public Task WaitForLogEndAsync()
    {
        while (true)
        {
            var current = Volatile.Read(ref _logEndSignal);
            if (current is not null)
            {
                return current.Task;
            }

            var created = NewSignal();
            if (Interlocked.CompareExchange(ref _logEndSignal, created, null) is null)
            {
                return created.Task;
            }
        }
    }

    /// <summary>Where a follower fetches next: its log end and the latest leader epoch in its log (-1 when empty).</summary>
    public (long FetchOffset, int LastFetchedEpoch) FollowerFetchPosition => (_log.LogEndOffset, _log.LeaderEpochCache.LatestEpoch);

    /// <summary>
    /// Appends batches fetched from <paramref name="leaderId"/> at <paramref name="leaderEpoch"/>, keeping their
    /// offsets and epochs (<see cref="Log.AppendAsFollower"/>); the returned <see cref="LogAppendInfo.Durable"/>
    /// completes once they are on disk, and the follower's next fetch offset must wait for it.
    /// </summary>
    /// <exception cref="LogException">NOT_LEADER_OR_FOLLOWER: the partition no longer follows that leader at that epoch.</exception>
    public LogAppendInfo AppendAsFollower(Memory<byte> records, int leaderId, int leaderEpoch)
    {
        lock (_leadershipLock)
        {
            ThrowUnlessFollowing(leaderId, leaderEpoch);
            return _log.AppendAsFollower(records);
        }
    }

    /// <summary>
    /// Where to truncate after the leader answered <paramref name="diverging"/> (Kafka's truncation on a fetch's
    /// diverging epoch): this log's own end for that epoch when it is the same epoch — the smaller of the two ends; when
    /// this log's largest epoch at or below it is older, that epoch's end (the next fetch compares again, KIP-279's
    /// iteration); when it knows no such epoch, the leader's end offset.
    /// </summary>
    public long TruncationOffsetFor(DivergingEpoch diverging)
    {
        var logEnd = _log.LogEndOffset;
        if (diverging.Epoch < 0 || diverging.EndOffset < 0)
        {
            return Math.Min(Math.Max(diverging.EndOffset, _log.LogStartOffset), logEnd);
        }

        var (epoch, endOffset) = _log.LeaderEpochCache.EndOffsetFor(diverging.Epoch, logEnd);
        if (epoch < 0)
        {
            return Math.Min(diverging.EndOffset, logEnd);
        }

        return epoch == diverging.Epoch ? Math.Min(Math.Min(diverging.EndOffset, endOffset), logEnd) : Math.Min(endOffset, logEnd);
    }

    /// <summary>Truncates the follower's log to end at <paramref name="offset"/> (divergence from the leader's).</summary>
    /// <exception cref="LogException">NOT_LEADER_OR_FOLLOWER: no longer following that leader at that epoch.</exception>
    public void TruncateAsFollower(long offset, int leaderId, int leaderEpoch)
    {
        lock (_leadershipLock)
        {
            ThrowUnlessFollowing(leaderId, leaderEpoch);
            _log.TruncateTo(offset);
            ClampHighWatermark(_log.LogEndOffset);
        }
    }

    /// <summary>Empties the follower's log and restarts it at <paramref name="offset"/> (its end fell below the leader's log start).</summary>
    /// <exception cref="LogException">NOT_LEADER_OR_FOLLOWER: no longer following that leader at that epoch.</exception>
    public void TruncateFullyAndStartAtAsFollower(long offset, int leaderId, int leaderEpoch)
    {
        lock (_leadershipLock)
        {
            ThrowUnlessFollowing(leaderId, leaderEpoch);
            _log.TruncateFullyAndStartAt(offset);
            ClampHighWatermark(offset);
        }
    }

    /// <summary>
    /// Takes the leader's high watermark and log start from a fetch answer: the follower's high watermark is the
    /// leader's capped at its own log end; its log start follows the leader's forward, never past its high watermark.
    /// </summary>
    public void UpdateFromLeader(long leaderHighWatermark, long leaderLogStartOffset)
    {
        AdvanceHighWatermark(Math.Min(leaderHighWatermark, _log.LogEndOffset));
        var start = Math.Min(leaderLogStartOffset, HighWatermark);
        if (start > _log.LogStartOffset)
        {
            try
            {
                _log.IncrementLogStartOffset(start);
            }
            catch (LogException)
            {
                // The log went offline or is being deleted; the next transition deals with it.
            }
        }
    }

    private void ThrowUnlessFollowing(int leaderId, int leaderEpoch)
    {
        var current = _leadership;
        if (current.Role != PartitionRole.Follower || current.LeaderId != leaderId || current.LeaderEpoch != leaderEpoch)
        {
            throw new LogException(ErrorCode.NotLeaderOrFollower,
                $"{TopicPartition} no longer follows broker {leaderId} at leader epoch {leaderEpoch} (now {current.Role} of {current.LeaderId} at {current.LeaderEpoch}).");
        }
    }

    /// <summary>Lowers the high watermark to <paramref name="offset"/> after a follower truncation (only an unclean election truncates below it).</summary>
    private void ClampHighWatermark(long offset)
    {
        var current = Volatile.Read(ref _highWatermark);
        while (current > offset)
        {
            var seen = Interlocked.CompareExchange(ref _highWatermark, offset, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void WakeLogEndWaiters()
    {
        if (Volatile.Read(ref _logEndSignal) is { } signal && Interlocked.CompareExchange(ref _logEndSignal, null, signal) == signal)
        {
            signal.TrySetResult();
        }
    }
}

/// <summary>Fetch v12's diverging epoch: the leader's largest epoch at or below the follower's last fetched one and where it ends.</summary>
public readonly record struct DivergingEpoch(int Epoch, long EndOffset);

/// <summary>What a leader answers a follower's fetch: records up to its log end, its high watermark and log start, or a divergence.</summary>
public readonly record struct ReplicaFetchResult(ErrorCode Error, LogFileSlice Records, long HighWatermark, long LogStartOffset, DivergingEpoch? Diverging)
{
    public static ReplicaFetchResult Failed(ErrorCode error) => new(error, LogFileSlice.Empty, -1, -1, null);
}
