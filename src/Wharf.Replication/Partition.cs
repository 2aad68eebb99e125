using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>
/// A partition this broker leads. Single node for now: the replica set is this broker, the ISR is this
/// broker, and the high watermark is the end of the log's <i>durable</i> data — an offset is exposed to
/// consumers only once the append that wrote it has completed (fsync'd under <c>log.flush.mode=ack</c>), so a
/// consumer never reads a record that a crash could take back.
/// <para>Invariant: the high watermark never moves backwards and never passes the log end offset.</para>
/// <para>
/// Thread-safety: appends are serialised by the log's writer lock; the high watermark is advanced with a CAS loop;
/// <see cref="WaitForAppendAsync"/> is safe from any thread (waiters are woken by swapping a completion source).
/// </para>
/// </summary>
public sealed class Partition
{
    private long _highWatermark;
    private TaskCompletionSource _appended = NewSignal();

    public Partition(TopicPartition topicPartition, Log log, int leaderEpoch)
    {
        TopicPartition = topicPartition;
        Log = log;
        LeaderEpoch = leaderEpoch;
        _highWatermark = log.LogEndOffset;
        log.AssignLeaderEpochAtEnd(leaderEpoch);
    }

    public TopicPartition TopicPartition { get; }

    public Log Log { get; }

    public int LeaderEpoch { get; }

    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>
    /// The last stable offset: the high watermark, or the first offset of the oldest open transaction when that is
    /// lower. read_committed consumers read below it. The high watermark is read first: the log publishes a
    /// transaction's first offset before the high watermark can pass it.
    /// </summary>
    public long LastStableOffset
    {
        get
        {
            var highWatermark = HighWatermark;
            return Math.Min(highWatermark, Log.FirstUnstableOffset ?? long.MaxValue);
        }
    }

    /// <summary>The replicas in sync with this leader: on a single node, the leader alone.</summary>
    public int InSyncReplicaCount => 1;

    /// <summary>Appends as leader; completes when the batches are durable and visible below the high watermark.</summary>
    /// <param name="records">Record batches as received; see <see cref="Log.AppendAsLeader"/>.</param>
    /// <param name="origin"><see cref="AppendOrigin.Coordinator"/> for transaction markers and coordinator batches.</param>
    /// <param name="crcVerified">See <see cref="Log.AppendAsLeader"/>.</param>
    /// <param name="requiredAcks">The producer's acks: with -1 (all), fewer in-sync replicas than the topic's
    /// <c>min.insync.replicas</c> refuse the write with NOT_ENOUGH_REPLICAS before anything is appended, as Kafka does.</param>
    /// <exception cref="LogException">NOT_ENOUGH_REPLICAS, or any error of <see cref="Log.AppendAsLeader"/>.</exception>
    public async Task<LogAppendInfo> AppendAsLeaderAsync(Memory<byte> records, AppendOrigin origin = AppendOrigin.Client, bool crcVerified = false, short requiredAcks = 1)
    {
        if (requiredAcks == -1 && InSyncReplicaCount < Log.Config.MinInsyncReplicas)
        {
            throw new LogException(ErrorCode.NotEnoughReplicas,
                $"{TopicPartition} has {InSyncReplicaCount} in-sync replica(s); min.insync.replicas is {Log.Config.MinInsyncReplicas}.");
        }

        var info = Log.AppendAsLeader(records, LeaderEpoch, origin, crcVerified);
        await info.Durable.ConfigureAwait(false);
        AdvanceHighWatermark(info.LastOffset + 1);
        return info;
    }

    /// <summary>A task that completes at the next high watermark advance (or when the partition is closed).</summary>
    public Task WaitForAppendAsync() => Volatile.Read(ref _appended).Task;

    /// <summary>Wakes all waiters, e.g. when the partition is deleted.</summary>
    public void WakeWaiters() => Interlocked.Exchange(ref _appended, NewSignal()).TrySetResult();

    private void AdvanceHighWatermark(long offset)
    {
        var current = Volatile.Read(ref _highWatermark);
        while (offset > current)
        {
            var seen = Interlocked.CompareExchange(ref _highWatermark, offset, current);
            if (seen == current)
            {
                WakeWaiters();
                return;
            }

            current = seen;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
