using Microsoft.Extensions.Logging;
using Wharf.Common;

namespace Wharf.Replication;

/// <summary>
/// Self-fencing: a cluster broker that lost its session with the coordination service may already have been fenced
/// by the controller, which may have moved its leaderships. From <see cref="SuspendLeadership"/> until
/// <see cref="ResumeLeadership"/> it leads nothing — every partition it led becomes a follower of no one at the same
/// epoch (produce answers NOT_LEADER_OR_FOLLOWER, parked fetches wake, coordinators unload), and deltas that name this
/// node as leader are applied as followers. Logs are kept. Resume only once the session is re-established and the
/// image has caught up with everything committed since, so that no two brokers accept writes for one partition.
/// Both are serialised with <see cref="ApplyDelta"/> by <c>_applyLock</c>.
/// </summary>
public sealed partial class ReplicaManager
{
    private bool _leadershipSuspended;

    /// <summary>True between <see cref="SuspendLeadership"/> and <see cref="ResumeLeadership"/>.</summary>
    public bool IsLeadershipSuspended
    {
        get
        {
            lock (_applyLock)
            {
                return _leadershipSuspended;
            }
        }
    }

    /// <summary>Stops leading every partition (idempotent); returns how many leaderships ended.</summary>
    public int SuspendLeadership(string reason)
    {
        lock (_applyLock)
        {
            _leadershipSuspended = true;
            var resigned = 0;
            foreach (var partition in _partitions.Values.Where(p => p.IsLeader))
            {
                var leadership = partition.Leadership;
                if (partition.MakeFollower(leadership.LeaderEpoch, leadership.PartitionEpoch, -1, leadership.Replicas, leadership.Isr))
                {
                    resigned++;
                    Announce(new LeadershipChange(partition.TopicPartition, false, leadership.LeaderEpoch));
                }
            }

            _logger.Log(resigned > 0 ? LogLevel.Warning : LogLevel.Debug,
                "Leadership suspended ({Reason}): {Count} partitions stop accepting writes until this broker is registered and up to date", reason, resigned);
            return resigned;
        }
    }

    /// <summary>Leads again what the current image says this node leads (idempotent).</summary>
    public void ResumeLeadership()
    {
        lock (_applyLock)
        {
            if (!_leadershipSuspended)
            {
                return;
            }

            _leadershipSuspended = false;
            if (Image is { } image)
            {
                foreach (var topic in image.TopicsByName.Values)
                {
                    foreach (var partition in topic.Partitions.Values.Where(p => p.Leader == image.NodeId))
                    {
                        Reconcile(new TopicPartition(topic.Name, partition.Partition), image);
                    }
                }
            }

            _logger.LogInformation("Leadership resumed at metadata offset {Offset}", Image?.Offset);
        }
    }
}
