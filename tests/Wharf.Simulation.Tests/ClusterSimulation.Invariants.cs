using Wharf.Common;
using Wharf.Replication;

namespace Wharf.Simulation.Tests;

/// <summary>
/// What must hold, after every step and at the end:
/// <list type="bullet">
/// <item><b>One leader per epoch</b>: no two nodes ever believe they lead a partition at the same leader epoch, at the
/// same time or one after the other. A node that restarts and leads again at the epoch it led before its crash (the
/// image still names it) is the same leader, so the check is by node id.</item>
/// <item><b>The high watermark never goes back</b> on a replica. A replica is one <see cref="Partition"/> object: a
/// node's restart opens new ones, which start from their recovered log's start offset (the high watermark is not
/// persisted) and are then tracked afresh — so the rule holds per process incarnation, across role changes, and a
/// follower truncating below its high watermark (only an unclean election may) is a violation. It also never passes
/// the log end.</item>
/// <item><b>No acknowledged record is lost</b>: an offset is acknowledged with one value only; at the end the leader's
/// log holds every acknowledged value at its acknowledged offset.</item>
/// <item><b>A consumer read never disappears</b>: every read of an offset returns the same value, which matches an
/// acknowledgement of that offset if any, and is in the leader's log at the end.</item>
/// <item>At the end, after healing and settling, every in-sync replica equals the leader up to the high
/// watermark.</item>
/// </list>
/// </summary>
internal sealed partial class ClusterSimulation
{
    private const int ConvergeRounds = 200;

    private readonly Dictionary<(int Partition, long Offset), string> _acknowledged = [];
    private readonly Dictionary<(int Partition, long Offset), string> _consumed = [];
    private readonly Dictionary<(int Partition, int Epoch), int> _epochLeaders = [];
    private readonly Dictionary<(int Node, int Partition), (Partition Replica, long HighWatermark)> _highWatermarks = [];

    private void Acknowledge(int partition, long offset, string value)
    {
        if (_acknowledged.TryGetValue((partition, offset), out var earlier) && earlier != value)
        {
            Violate($"p{partition} offset {offset} acknowledged twice: {earlier}, then {value} — the first acknowledged record was lost");
        }
        else if (_consumed.TryGetValue((partition, offset), out var read) && read != value)
        {
            Violate($"p{partition} offset {offset} acknowledged as {value} but a consumer read {read} there");
        }

        _acknowledged[(partition, offset)] = value;
    }

    private void Consumed(int partition, long offset, string value)
    {
        if (_consumed.TryGetValue((partition, offset), out var earlier) && earlier != value)
        {
            Violate($"p{partition} offset {offset} read as {earlier}, later as {value} — a consumed record disappeared");
        }
        else if (_acknowledged.TryGetValue((partition, offset), out var acknowledged) && acknowledged != value)
        {
            Violate($"p{partition} offset {offset} read as {value} but {acknowledged} was acknowledged there — an acknowledged record was lost");
        }

        _consumed[(partition, offset)] = value;
    }

    private void CheckInvariants()
    {
        if (Failed)
        {
            return;
        }

        foreach (var node in _nodes)
        {
            for (var p = 0; p < Partitions; p++)
            {
                if (node.Partition(p) is not { } partition)
                {
                    continue;
                }

                if (partition.IsLeader)
                {
                    var epoch = partition.LeaderEpoch;
                    if (_epochLeaders.TryGetValue((p, epoch), out var other) && other != node.Id)
                    {
                        Violate($"p{p}: node {node.Id} leads at epoch {epoch}, which node {other} led");
                    }

                    _epochLeaders[(p, epoch)] = node.Id;
                }

                var highWatermark = partition.HighWatermark;
                if (_highWatermarks.TryGetValue((node.Id, p), out var seen) && ReferenceEquals(seen.Replica, partition) && highWatermark < seen.HighWatermark)
                {
                    Violate($"node {node.Id} p{p}: the high watermark went back from {seen.HighWatermark} to {highWatermark}");
                }

                if (highWatermark > partition.LogEndOffset)
                {
                    Violate($"node {node.Id} p{p}: the high watermark {highWatermark} is beyond the log end {partition.LogEndOffset}");
                }

                _highWatermarks[(node.Id, p)] = (partition, highWatermark);
            }
        }
    }

    /// <summary>
    /// Ends every fault (wakes, heals, re-registers) and runs replication rounds — sessions, controller, metadata,
    /// proposals, a fetch per follower, a second of time — until every partition has a leader, all replicas in its ISR
    /// and equal log ends and high watermarks, checking the invariants on the way. Not settling is a violation.
    /// </summary>
    private void HealAndConverge()
    {
        Trace("heal all", Describe());
        foreach (var node in _nodes)
        {
            node.Paused = false;
            node.Isolated = false;
        }

        for (var round = 0; round < ConvergeRounds && !Failed; round++)
        {
            _step++;
            foreach (var node in _nodes)
            {
                if (_sessions.TryGetValue(node.Id, out var session) && session.Alive && session.Incarnation != node.Incarnation)
                {
                    _sessions[node.Id] = session with { Alive = false };
                }

                if (!node.NeedsRegistration && !IsSessionAlive(node))
                {
                    NoticeSessionLost(node);
                    Quiesce();
                }

                if (node.NeedsRegistration)
                {
                    Register(node);
                }

                Quiesce();
            }

            ReconcileBrokers();
            foreach (var node in _nodes)
            {
                DeliverMetadata(node, int.MaxValue);
            }

            foreach (var proposal in PendingProposals())
            {
                DeliverProposal(proposal, dice: 9);
                Quiesce();
            }

            foreach (var answer in _fetchAnswers.ToList())
            {
                DeliverFetchAnswer(answer, lose: false);
                Quiesce();
            }

            foreach (var node in _nodes)
            {
                foreach (var partition in FollowedPartitions(node).ToList())
                {
                    Fetch(node, partition);
                    if (_fetchAnswers.LastOrDefault() is { } pending && pending.FollowerId == node.Id)
                    {
                        DeliverFetchAnswer(pending, lose: false);
                    }

                    Quiesce();
                }
            }

            Settle();
            CheckInvariants();
            if (Converged())
            {
                Trace("settled", $"after {round + 1} round(s): {Describe()}");
                return;
            }

            AdvanceTime(1000);
        }

        Violate($"replication did not settle within {ConvergeRounds} rounds after healing");
    }

    private bool Converged()
    {
        if (_produces.Count > 0 || PendingProposals().Count > 0 || _nodes.Any(n => n.AppliedBatches < _metadataLog.Batches.Count || n.Replicas.IsLeadershipSuspended))
        {
            return false;
        }

        for (var p = 0; p < Partitions; p++)
        {
            if (ControllerPartition(p) is not { Leader: > 0 } image || image.Isr.Length != image.Replicas.Length)
            {
                return false;
            }

            var leader = Node(image.Leader).Partition(p);
            if (leader is not { IsLeader: true } || leader.LeaderEpoch != image.LeaderEpoch || leader.HighWatermark != leader.LogEndOffset)
            {
                return false;
            }

            foreach (var replica in image.Replicas.Where(r => r != image.Leader))
            {
                if (Node(replica).Partition(p) is not { Leadership.Role: PartitionRole.Follower } follower || follower.LeaderEpoch != image.LeaderEpoch
                    || follower.LogEndOffset != leader.LogEndOffset || follower.HighWatermark != leader.HighWatermark)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The leader's log holds every acknowledged and consumed record; every in-sync replica equals it below the high watermark.</summary>
    private void CheckFinalState()
    {
        for (var p = 0; p < Partitions && !Failed; p++)
        {
            var image = ControllerPartition(p)!;
            var leader = Node(image.Leader);
            var leaderPartition = leader.Partition(p)!;
            var highWatermark = leaderPartition.HighWatermark;
            var records = SimRecords.ReadLog(leader.Logs.GetLog(new TopicPartition(Topic, p))!, highWatermark).ToDictionary(r => r.Offset, r => r.Value);
            foreach (var ((partition, offset), value) in _acknowledged.Where(a => a.Key.Partition == p).OrderBy(a => a.Key.Offset))
            {
                if (!records.TryGetValue(offset, out var found) || found != value)
                {
                    Violate($"acknowledged record lost: p{partition} offset {offset} was {value}, leader {leader.Id}'s log has {found ?? "nothing"} (high watermark {highWatermark})");
                    return;
                }
            }

            foreach (var ((partition, offset), value) in _consumed.Where(a => a.Key.Partition == p).OrderBy(a => a.Key.Offset))
            {
                if (!records.TryGetValue(offset, out var found) || found != value)
                {
                    Violate($"consumed record disappeared: p{partition} offset {offset} was read as {value}, leader {leader.Id}'s log has {found ?? "nothing"}");
                    return;
                }
            }

            foreach (var replica in image.Isr.Where(r => r != image.Leader))
            {
                var copy = SimRecords.ReadLog(Node(replica).Logs.GetLog(new TopicPartition(Topic, p))!, highWatermark);
                var expected = records.OrderBy(r => r.Key).Where(r => r.Key >= copy.FirstOrDefault().Offset).Select(r => (r.Key, r.Value)).ToList();
                if (!copy.SequenceEqual(expected))
                {
                    var first = copy.Zip(expected).FirstOrDefault(x => x.First != x.Second);
                    Violate($"in-sync replica {replica} of p{p} differs from leader {leader.Id} below the high watermark {highWatermark}: {copy.Count} vs {expected.Count} records, first difference {first}");
                    return;
                }
            }
        }
    }
}
