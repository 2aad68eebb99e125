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

    /// <summary>Partitions made leader at once when leadership resumes (their epoch checkpoints are fsync'd in parallel).</summary>
    private const int ResumeParallelism = 16;

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
                var led = image.TopicsByName.Values
                    .SelectMany(t => t.Partitions.Values.Where(p => p.Leader == image.NodeId).Select(p => (Name: new TopicPartition(t.Name, p.Partition), Image: p)))
                    .ToList();

                // Becoming leader records the epoch in each log (a checkpoint write and fsync per partition): done for
                // many partitions at once, as the logs are independent. Announcements and any failure's handling
                // (Reconcile: offline, retried) stay on this thread, under the apply lock, in order.
                var outcomes = new (bool NewTerm, Exception? Error)[led.Count];
                Parallel.For(0, led.Count, new ParallelOptions { MaxDegreeOfParallelism = ResumeParallelism }, i =>
                {
                    var (name, desired) = led[i];
                    try
                    {
                        outcomes[i] = _partitions.TryGetValue(name, out var partition)
                            ? (partition.MakeLeader(desired.LeaderEpoch, desired.PartitionEpoch, desired.Replicas, desired.Isr), null)
                            : (false, new InvalidOperationException($"{name} is not open"));
                    }
#pragma warning disable CA1031 // Collected and handed to Reconcile below, which logs, marks offline and retries.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        outcomes[i] = (false, e);
                    }
                });
                for (var i = 0; i < led.Count; i++)
                {
                    if (outcomes[i].Error is not null)
                    {
                        Reconcile(led[i].Name, image);
                    }
                    else if (outcomes[i].NewTerm)
                    {
                        Announce(new LeadershipChange(led[i].Name, true, led[i].Image.LeaderEpoch));
                    }
                }
            }

            _logger.LogInformation("Leadership resumed at metadata offset {Offset}", Image?.Offset);
        }
    }
}
