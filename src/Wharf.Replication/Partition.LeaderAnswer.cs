using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>
/// The follower's decision on a leader's answer to its fetch (Kafka's <c>AbstractFetcherThread.processFetchRequest</c>
/// per partition), in one place so that the socket fetcher and the cluster simulation run the same code.
/// </summary>
public sealed partial class Partition
{
    /// <summary>
    /// Applies the answer of <paramref name="leaderId"/> for this partition to a fetch sent at
    /// <paramref name="leaderEpoch"/> from <paramref name="fetchOffset"/>:
    /// <list type="bullet">
    /// <item>a diverging epoch truncates the log where it left the leader's (<see cref="TruncationOffsetFor"/>); the
    /// next fetch checks again, so several rounds settle a double failover (KIP-279);</item>
    /// <item>records are appended as follower; <see cref="LeaderAnswerOutcome.Durable"/> completes once they are on
    /// disk and the leader's high watermark and log start have been taken — the caller must wait for it before it
    /// fetches again, because its next fetch offset tells the leader what it holds durably;</item>
    /// <item>no records: the leader's high watermark and log start are taken at once;</item>
    /// <item>OFFSET_OUT_OF_RANGE below the leader's log start restarts the log there; beyond the leader's high
    /// watermark (with no divergence to say where) truncates to it — what is below it is committed and shared;</item>
    /// <item>any other error (not the leader yet or any more, an epoch mismatch, an unknown partition, an offline log)
    /// is <see cref="LeaderAnswerAction.Refused"/>: the caller backs off and the metadata says what to do;</item>
    /// <item>a partition that moved on (new leader, new epoch, other role) is <see cref="LeaderAnswerAction.Moved"/>
    /// and nothing is changed: every follower operation names the leader and epoch it fetched from;</item>
    /// <item>an answer that cannot be applied (invalid batches, a storage failure) is
    /// <see cref="LeaderAnswerAction.Failed"/> with the exception: the caller backs off.</item>
    /// </list>
    /// Never throws for these outcomes. Thread-safety: as the follower operations it calls; one fetcher per partition.
    /// </summary>
    public LeaderAnswerOutcome ApplyLeaderAnswer(int leaderId, int leaderEpoch, long fetchOffset, in LeaderFetchAnswer answer)
    {
        var logEnd = LogEndOffset;
        try
        {
            switch (answer.Error)
            {
                // Fetch v12 encodes "no divergence" as epoch and end offset -1.
                case ErrorCode.None when answer.Diverging is { } diverging && (diverging.Epoch >= 0 || diverging.EndOffset >= 0):
                    {
                        var offset = TruncationOffsetFor(diverging);
                        TruncateAsFollower(offset, leaderId, leaderEpoch);
                        return new LeaderAnswerOutcome(LeaderAnswerAction.Truncated, logEnd, offset);
                    }

                case ErrorCode.None when answer.Records.IsEmpty:
                    UpdateFromLeader(answer.HighWatermark, answer.LogStartOffset);
                    return new LeaderAnswerOutcome(LeaderAnswerAction.UpToDate, logEnd, logEnd);

                case ErrorCode.None:
                    {
                        var info = AppendAsFollower(answer.Records, leaderId, leaderEpoch);
                        var (highWatermark, logStart) = (answer.HighWatermark, answer.LogStartOffset);
                        var durable = info.Durable.ContinueWith(_ => UpdateFromLeader(highWatermark, logStart), CancellationToken.None,
                            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                        return new LeaderAnswerOutcome(LeaderAnswerAction.Appended, logEnd, info.LastOffset + 1) { Durable = durable };
                    }

                case ErrorCode.OffsetOutOfRange when fetchOffset < answer.LogStartOffset:
                    TruncateFullyAndStartAtAsFollower(answer.LogStartOffset, leaderId, leaderEpoch);
                    return new LeaderAnswerOutcome(LeaderAnswerAction.RestartedAtLogStart, logEnd, answer.LogStartOffset);

                case ErrorCode.OffsetOutOfRange when answer.HighWatermark >= 0 && fetchOffset > answer.HighWatermark:
                    TruncateAsFollower(answer.HighWatermark, leaderId, leaderEpoch);
                    return new LeaderAnswerOutcome(LeaderAnswerAction.TruncatedToHighWatermark, logEnd, answer.HighWatermark);

                default:
                    return new LeaderAnswerOutcome(LeaderAnswerAction.Refused, logEnd, logEnd);
            }
        }
        catch (LogException e) when (e.ErrorCode == ErrorCode.NotLeaderOrFollower)
        {
            return new LeaderAnswerOutcome(LeaderAnswerAction.Moved, logEnd, logEnd);
        }
        catch (Exception e) when (e is InvalidRecordBatchException or LogStorageException or LogException or ObjectDisposedException)
        {
            return new LeaderAnswerOutcome(LeaderAnswerAction.Failed, logEnd, logEnd) { Failure = e };
        }
    }
}

/// <summary>
/// A leader's answer for one partition of a follower's fetch, as the follower applies it: the error, the records
/// (the answer owns them; the log validates and copies them), the leader's high watermark and log start offset, and
/// the diverging epoch (null, or epoch and end offset -1, when there is none).
/// </summary>
public readonly record struct LeaderFetchAnswer(ErrorCode Error, Memory<byte> Records, long HighWatermark, long LogStartOffset, DivergingEpoch? Diverging);

/// <summary>What <see cref="Partition.ApplyLeaderAnswer"/> did with a leader's answer.</summary>
public enum LeaderAnswerAction
{
    /// <summary>Records were appended; wait for <see cref="LeaderAnswerOutcome.Durable"/> before fetching again.</summary>
    Appended,

    /// <summary>No records: the leader's high watermark and log start were taken.</summary>
    UpToDate,

    /// <summary>The log diverged from the leader's and was truncated to <see cref="LeaderAnswerOutcome.Offset"/>.</summary>
    Truncated,

    /// <summary>The fetch offset was below the leader's log start: the log restarts, empty, at <see cref="LeaderAnswerOutcome.Offset"/>.</summary>
    RestartedAtLogStart,

    /// <summary>The fetch offset was beyond the leader's log: truncated to its high watermark (<see cref="LeaderAnswerOutcome.Offset"/>).</summary>
    TruncatedToHighWatermark,

    /// <summary>The leader answered an error: back off and let the metadata decide.</summary>
    Refused,

    /// <summary>The partition no longer follows that leader at that epoch: nothing was applied.</summary>
    Moved,

    /// <summary>The answer could not be applied (<see cref="LeaderAnswerOutcome.Failure"/>): back off.</summary>
    Failed,
}

/// <summary>
/// The outcome of <see cref="Partition.ApplyLeaderAnswer"/>: what was done, the follower's log end before it, the
/// offset it concerns (the new log end, the truncation point or the restart offset), the task of an append becoming
/// durable (with the leader's high watermark taken), and the failure of <see cref="LeaderAnswerAction.Failed"/>.
/// </summary>
public readonly record struct LeaderAnswerOutcome(LeaderAnswerAction Action, long PreviousLogEndOffset, long Offset)
{
    public Task? Durable { get; init; }

    public Exception? Failure { get; init; }
}
