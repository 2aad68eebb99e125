using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Replication;

/// <summary>
/// The leader's view of its followers (Kafka's <c>Replica</c> states in <c>Partition</c>): each follower's log end
/// offset as its fetches report it, when it was last caught up, the high watermark over the in-sync replicas, and the
/// ISR changes the leader proposes to the controller.
/// <para>
/// High watermark: the minimum, over the maximal ISR (the committed ISR plus a member being added while the proposal
/// is in flight — Kafka's <c>maximalIsr</c>), of each replica's durable log end: the leader's own
/// <see cref="Storage.Log.DurableEndOffset"/> and each follower's fetch offset. A follower fetches the next offset only
/// once what it appended is durable (under <c>log.flush.mode=ack</c> fsync'd), so an offset below the high watermark
/// is on the disk of every in-sync replica. A follower whose fetch offset is not known yet in this term holds the high
/// watermark where it is.
/// </para>
/// <para>
/// ISR: a follower joins when its fetch offset reaches the high watermark and the start of the current leader epoch
/// (so it holds everything this term committed); an in-sync follower leaves when it has not been caught up — fetched at
/// or past the leader's log end as it was at its previous fetch — for <see cref="PartitionContext.ReplicaLagTimeMax"/>
/// (<see cref="MaybeShrinkIsr"/>, called periodically). Changes go to the controller through
/// <see cref="PartitionContext.AlterPartition"/>, one at a time; the committed answer (or the metadata, whichever comes
/// first) becomes the ISR.
/// </para>
/// Thread-safety: follower states and the pending proposal are guarded by <c>_replicaLock</c>, taken after
/// <c>_leadershipLock</c> when both are needed and never held across I/O.
/// </summary>
public sealed partial class Partition
{
    private readonly Lock _replicaLock = new();
    private readonly Dictionary<int, FollowerState> _followers = [];
    private ImmutableArray<int> _pendingIsr;
    private long _proposalBlockedUntilMs;
    private long _termStartOffset;

    /// <summary>The topic's id (ISR proposals name topics by id).</summary>
    public Guid TopicId { get; }

    /// <summary>The committed ISR plus a member being added while that proposal is in flight (Kafka's maximal ISR).</summary>
    public ImmutableArray<int> MaximalIsr
    {
        get
        {
            lock (_replicaLock)
            {
                return MaximalIsrLocked(Leadership);
            }
        }
    }

    /// <summary>True while the leader has fewer in-sync replicas than replicas (Kafka's under-replicated partition).</summary>
    public bool IsUnderReplicated => IsLeader && Leadership is var leadership && leadership.Isr.Length < leadership.Replicas.Length;

    /// <summary>Each follower's replication state as this leader sees it (empty unless leader), for metrics and DescribeLogDirs.</summary>
    public IReadOnlyList<FollowerReplicaState> FollowerStates
    {
        get
        {
            lock (_replicaLock)
            {
                var leaderEnd = LogEndOffset;
                return [.. _followers.OrderBy(f => f.Key).Select(f => new FollowerReplicaState(f.Key, f.Value.LogEndOffset, leaderEnd - Math.Max(0, f.Value.LogEndOffset), f.Value.LastCaughtUpMs))];
            }
        }
    }

    /// <summary>
    /// Records a follower's fetch at <paramref name="fetchOffset"/> (Kafka's <c>updateFollowerFetchState</c>): its
    /// durable log end, whether it is caught up, then maybe adds it to the ISR and advances the high watermark.
    /// Returns NOT_LEADER_OR_FOLLOWER when this broker does not lead or <paramref name="replicaId"/> is not a replica.
    /// </summary>
    public ErrorCode UpdateFollowerFetchState(int replicaId, long fetchOffset)
    {
        var leadership = Leadership;
        if (leadership.Role != PartitionRole.Leader || replicaId == LocalBrokerId || !leadership.Replicas.Contains(replicaId))
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        var now = _context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var leaderEnd = LogEndOffset;
        ImmutableArray<int> proposal = default;
        lock (_replicaLock)
        {
            if (!_followers.TryGetValue(replicaId, out var follower))
            {
                _followers[replicaId] = follower = new FollowerState();
            }

            if (fetchOffset >= leaderEnd)
            {
                follower.LastCaughtUpMs = now;
            }
            else if (fetchOffset >= follower.LastFetchLeaderEndOffset)
            {
                follower.LastCaughtUpMs = Math.Max(follower.LastCaughtUpMs, follower.LastFetchMs);
            }

            follower.LogEndOffset = fetchOffset;
            follower.LastFetchMs = now;
            follower.LastFetchLeaderEndOffset = leaderEnd;

            leadership = Leadership;
            var maximal = MaximalIsrLocked(leadership);
            if (!maximal.Contains(replicaId) && fetchOffset >= HighWatermark && fetchOffset >= _termStartOffset && CanProposeLocked(now))
            {
                proposal = [.. leadership.Isr, replicaId];
                _pendingIsr = proposal;
            }

            MaybeIncrementHighWatermarkLocked(leadership);
        }

        if (!proposal.IsDefault)
        {
            Propose(leadership, proposal, $"follower {replicaId} caught up at offset {fetchOffset}");
        }

        return ErrorCode.None;
    }

    /// <summary>
    /// Removes from the ISR every follower that has not been caught up for <see cref="PartitionContext.ReplicaLagTimeMax"/>
    /// (Kafka's <c>maybeShrinkIsr</c>). Called periodically by <see cref="ReplicaManager"/>; does nothing unless leader.
    /// </summary>
    public void MaybeShrinkIsr()
    {
        var leadership = Leadership;
        if (leadership.Role != PartitionRole.Leader || leadership.Isr.Length <= 1)
        {
            return;
        }

        var now = _context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var lagMs = (long)_context.ReplicaLagTimeMax.TotalMilliseconds;
        ImmutableArray<int> proposal;
        List<int> laggards;
        lock (_replicaLock)
        {
            if (!CanProposeLocked(now))
            {
                return;
            }

            laggards = [.. leadership.Isr.Where(id => id != LocalBrokerId && (!_followers.TryGetValue(id, out var f) || now - f.LastCaughtUpMs > lagMs))];
            if (laggards.Count == 0)
            {
                return;
            }

            proposal = leadership.Isr.RemoveRange(laggards);
            _pendingIsr = proposal;
        }

        Propose(leadership, proposal, $"follower(s) {string.Join(", ", laggards)} not caught up for {_context.ReplicaLagTimeMax.TotalMilliseconds} ms");
    }

    /// <summary>Starts a leadership term: forgets what followers reported before, gives in-sync followers a full lag interval.</summary>
    private void ResetFollowersLocked(PartitionLeadership leadership)
    {
        var now = _context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_replicaLock)
        {
            _followers.Clear();
            foreach (var replica in leadership.Replicas.Where(r => r != LocalBrokerId))
            {
                _followers[replica] = new FollowerState { LastCaughtUpMs = leadership.Isr.Contains(replica) ? now : 0, LastFetchMs = now };
            }

            _pendingIsr = default;
            _proposalBlockedUntilMs = 0;
            _termStartOffset = _log.LogEndOffset;
        }
    }

    /// <summary>A metadata update of this leadership at the same leader epoch: a pending proposal it settles is done.</summary>
    private void SettlePendingLocked(PartitionLeadership current, int partitionEpoch)
    {
        lock (_replicaLock)
        {
            if (partitionEpoch > current.PartitionEpoch)
            {
                _pendingIsr = default;
                _proposalBlockedUntilMs = 0;
            }
        }
    }

    /// <summary>Advances the high watermark to what the maximal ISR holds durably; call after any of it moved.</summary>
    private void MaybeIncrementHighWatermark()
    {
        lock (_replicaLock)
        {
            MaybeIncrementHighWatermarkLocked(Leadership);
        }
    }

    private void MaybeIncrementHighWatermarkLocked(PartitionLeadership leadership)
    {
        if (leadership.Role != PartitionRole.Leader)
        {
            return;
        }

        var highWatermark = _log.DurableEndOffset;
        foreach (var replica in MaximalIsrLocked(leadership))
        {
            if (replica == LocalBrokerId)
            {
                continue;
            }

            if (!_followers.TryGetValue(replica, out var follower) || follower.LogEndOffset < 0)
            {
                return;
            }

            highWatermark = Math.Min(highWatermark, follower.LogEndOffset);
        }

        AdvanceHighWatermark(highWatermark);
    }

    private ImmutableArray<int> MaximalIsrLocked(PartitionLeadership leadership) =>
        _pendingIsr.IsDefault ? leadership.Isr : [.. leadership.Isr.Union(_pendingIsr)];

    private bool CanProposeLocked(long nowMs) =>
        _context.AlterPartition is not null && _pendingIsr.IsDefault && nowMs >= _proposalBlockedUntilMs;

    private void Propose(PartitionLeadership leadership, ImmutableArray<int> isr, string reason)
    {
        _context.Logger.LogInformation("{Partition}: proposing ISR [{NewIsr}] (was [{Isr}]) at leader epoch {LeaderEpoch}: {Reason}",
            TopicPartition, string.Join(",", isr), string.Join(",", leadership.Isr), leadership.LeaderEpoch, reason);
        var proposal = new AlterPartitionProposal(TopicPartition, TopicId, LocalBrokerId, leadership.LeaderEpoch, leadership.PartitionEpoch, isr);
        _ = SubmitAsync(proposal);
    }

    private async Task SubmitAsync(AlterPartitionProposal proposal)
    {
        AlterPartitionOutcome outcome;
        try
        {
            outcome = await _context.AlterPartition!.SubmitAsync(proposal, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The sender promises not to throw; if it does, the proposal is dropped and retried later.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _context.Logger.LogWarning(e, "{Partition}: the ISR proposal failed", TopicPartition);
            outcome = AlterPartitionOutcome.Failed(ErrorCode.UnknownServerError);
        }

        Complete(proposal, outcome);
    }

    /// <summary>Applies the controller's answer to a proposal, if this is still the term and epoch that made it.</summary>
    private void Complete(AlterPartitionProposal proposal, AlterPartitionOutcome outcome)
    {
        lock (_leadershipLock)
        {
            var current = _leadership;
            lock (_replicaLock)
            {
                if (_pendingIsr.IsDefault || !_pendingIsr.SequenceEqual(proposal.NewIsr))
                {
                    return;
                }

                _pendingIsr = default;
                if (outcome.Error != ErrorCode.None)
                {
                    _proposalBlockedUntilMs = _context.Time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_context.ProposalRetryBackoff.TotalMilliseconds;
                    _context.Logger.LogInformation("{Partition}: the controller refused ISR [{Isr}]: {Error}", TopicPartition, string.Join(",", proposal.NewIsr), outcome.Error);
                }
                else if (current.Role == PartitionRole.Leader && current.LeaderEpoch == outcome.LeaderEpoch && outcome.PartitionEpoch > current.PartitionEpoch)
                {
                    Volatile.Write(ref _leadership, current with { Isr = outcome.Isr, PartitionEpoch = outcome.PartitionEpoch });
                    _context.Counters.CountIsrChange(current.Isr.Length, outcome.Isr.Length);
                    _context.Logger.LogInformation("{Partition}: ISR is now [{Isr}] (partition epoch {PartitionEpoch})", TopicPartition, string.Join(",", outcome.Isr), outcome.PartitionEpoch);
                }

                MaybeIncrementHighWatermarkLocked(_leadership);
            }
        }

        WakeWaiters();
    }

    private sealed class FollowerState
    {
        /// <summary>The follower's durable log end: its last fetch offset in this term, -1 before its first fetch.</summary>
        public long LogEndOffset { get; set; } = -1;

        public long LastCaughtUpMs { get; set; }

        public long LastFetchMs { get; set; }

        public long LastFetchLeaderEndOffset { get; set; } = long.MaxValue;
    }
}

/// <summary>A follower as its leader sees it: durable log end (-1 before its first fetch this term), lag in offsets, when it was last caught up.</summary>
public readonly record struct FollowerReplicaState(int BrokerId, long LogEndOffset, long LagOffsets, long LastCaughtUpMs);
