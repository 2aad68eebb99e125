using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>Metadata deltas: partitions follow the image, failures are retried, leaderships are announced.</summary>
public sealed partial class ReplicaManager
{
    private readonly Lock _applyLock = new();
    private readonly List<Action<LeadershipChange>> _watchers = [];
    private readonly Dictionary<TopicPartition, (int Attempts, DateTimeOffset Due)> _retries = [];
    private readonly ConcurrentDictionary<TopicPartition, string> _failures = new();
    private readonly HashSet<TopicPartition> _deletesPending = [];
    private Func<string, LogConfig> _configFor = _ => LogConfig.Default;
    private ITimer? _retryTimer;
    private bool _disposed;

    /// <summary>
    /// Applies the change from <paramref name="before"/> to <paramref name="after"/> for this node
    /// (<see cref="MetadataImage.NodeId"/>), in Kafka's order (<c>ReplicaManager.applyDelta</c>): first the partitions of
    /// removed topics are stopped and their logs deleted (so a topic deleted and re-created under its name starts
    /// empty), then changed topic configs reach the open logs, then every changed partition this node leads becomes
    /// leader at the image's leader epoch (<see cref="Partition.MakeLeader"/>), every one it follows becomes a follower
    /// (<see cref="Partition.MakeFollower"/>), and every one it no longer holds a replica of is stopped and deleted.
    /// Only topics whose image changed are visited.
    /// <para>
    /// Nothing is swallowed: a partition that cannot be applied (its log cannot be opened, its epoch not recorded, its
    /// log not deleted) is logged as an error, stops serving (<see cref="Partition.MarkOffline"/>;
    /// <see cref="GetPartitionOrError"/> answers KAFKA_STORAGE_ERROR) and is retried against the newest image with
    /// exponential backoff (<see cref="ReplicaManagerOptions"/>) until it succeeds. Other partitions are unaffected.
    /// </para>
    /// Call in image order from one thread at a time (the controller's <c>ImageChanged</c> does); never throws.
    /// </summary>
    /// <param name="before">The image the previous call applied (<see cref="MetadataImage.Empty"/> at start).</param>
    /// <param name="after">The image to apply.</param>
    /// <param name="configFor">A topic's log settings in <paramref name="after"/>.</param>
    public void ApplyDelta(MetadataImage before, MetadataImage after, Func<string, LogConfig> configFor)
    {
        lock (_applyLock)
        {
            Volatile.Write(ref _image, after);
            _configFor = configFor;
            foreach (var topic in before.TopicsByName.Values)
            {
                if (!after.TryGetTopic(topic.Name, out var current) || current.TopicId != topic.TopicId)
                {
                    foreach (var partition in topic.Partitions.Keys)
                    {
                        var topicPartition = new TopicPartition(topic.Name, partition);
                        _deletesPending.Add(topicPartition);
                        Reconcile(topicPartition, after);
                    }
                }
            }

            if (!ReferenceEquals(before.TopicConfigs, after.TopicConfigs))
            {
                UpdateTopicConfigs(before, after);
            }

            var node = after.NodeId;
            foreach (var topic in after.TopicsByName.Values)
            {
                before.TryGetTopic(topic.Name, out var previous);
                if (ReferenceEquals(previous, topic))
                {
                    continue;
                }

                var sameTopic = previous?.TopicId == topic.TopicId;
                foreach (var partition in topic.Partitions.Values)
                {
                    var old = sameTopic ? previous!.Partitions.GetValueOrDefault(partition.Partition) : null;
                    if (!Equals(old, partition) && (IsLocal(partition, node) || old is not null && IsLocal(old, node)))
                    {
                        Reconcile(new TopicPartition(topic.Name, partition.Partition), after);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The leadership hook for coordinators: <paramref name="onChange"/> is called at once for every partition this
    /// broker leads, then after every change — <see cref="LeadershipChange.IsLeader"/> true when a partition became
    /// leader at a new leader epoch (appends at that epoch are accepted before the call: load the partition), false when
    /// it stopped leading (made follower, stopped, deleted or offline; appends are refused before the call: unload).
    /// Calls come one at a time, in order per partition, on the thread applying metadata (the controller's, holding its
    /// write lock): return quickly and hand work to your own loop; do not wait for a metadata change from inside.
    /// An exception is logged and does not stop other watchers. Dispose the result to stop watching.
    /// </summary>
    public IDisposable WatchLeadership(Action<LeadershipChange> onChange)
    {
        lock (_applyLock)
        {
            _watchers.Add(onChange);
            foreach (var partition in _partitions.Values.Where(p => p.IsLeader).OrderBy(p => p.TopicPartition.Topic, StringComparer.Ordinal).ThenBy(p => p.TopicPartition.Partition))
            {
                Notify(onChange, new LeadershipChange(partition.TopicPartition, true, partition.LeaderEpoch));
            }
        }

        return new Unwatch(this, onChange);
    }

    private static bool IsLocal(PartitionImage partition, int node) => partition.Leader == node || partition.Replicas.Contains(node);

    private void UpdateTopicConfigs(MetadataImage before, MetadataImage after)
    {
        foreach (var topic in after.TopicsByName.Values)
        {
            if (before.TryGetTopic(topic.Name, out var previous) && previous.TopicId == topic.TopicId
                && !ReferenceEquals(before.GetTopicConfigs(topic.Name), after.GetTopicConfigs(topic.Name)))
            {
                try
                {
                    _logs.UpdateTopicConfig(topic.Name, _configFor(topic.Name));
                }
#pragma warning disable CA1031 // A config that cannot be applied is reported and leaves the old settings in force.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _logger.LogError(e, "Could not apply the new config of topic {Topic}; its logs keep their previous settings", topic.Name);
                }
            }
        }
    }

    /// <summary>Brings one partition to what <paramref name="image"/> says for this node; on failure marks it offline and schedules a retry.</summary>
    private void Reconcile(TopicPartition topicPartition, MetadataImage image)
    {
        try
        {
            // A removed topic's log goes first, even when a new topic of that name wants the partition back.
            if (_deletesPending.Contains(topicPartition))
            {
                Remove(topicPartition);
                _deletesPending.Remove(topicPartition);
            }

            if (!image.TryGetPartition(topicPartition, out var desired) || !IsLocal(desired, image.NodeId))
            {
                Remove(topicPartition);
            }
            else
            {
                var topicId = image.TryGetTopic(topicPartition.Topic, out var topic) ? topic.TopicId : Guid.Empty;
                var partition = _partitions.GetOrAdd(topicPartition, tp => new Partition(tp, _logs.GetOrCreateLog(tp, _configFor(tp.Topic)), image.NodeId, _context, topicId));
                var before = partition.Leadership;
                if (desired.Leader == image.NodeId && !_leadershipSuspended)
                {
                    if (partition.MakeLeader(desired.LeaderEpoch, desired.PartitionEpoch, desired.Replicas, desired.Isr))
                    {
                        Announce(new LeadershipChange(topicPartition, true, desired.LeaderEpoch));
                    }
                }
                else if (partition.MakeFollower(desired.LeaderEpoch, desired.PartitionEpoch, desired.Leader == image.NodeId ? -1 : desired.Leader, desired.Replicas, desired.Isr))
                {
                    Announce(new LeadershipChange(topicPartition, false, desired.LeaderEpoch));
                }

                var after = partition.Leadership;
                if (before.Role != after.Role || before.LeaderId != after.LeaderId || before.LeaderEpoch != after.LeaderEpoch)
                {
                    SignalFollowershipChanged();
                }
            }

            _retries.Remove(topicPartition);
            if (_failures.TryRemove(topicPartition, out _))
            {
                _logger.LogInformation("{Partition} follows the metadata again (offset {Offset})", topicPartition, image.Offset);
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // Shutting down: the logs are closed; nothing is served any more.
        }
#pragma warning disable CA1031 // Any failure is handled the same way: stop serving, say so, retry.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(topicPartition, e);
        }
    }

    private void Remove(TopicPartition topicPartition)
    {
        if (_partitions.TryRemove(topicPartition, out var partition))
        {
            SignalFollowershipChanged();
            if (partition.Stop())
            {
                Announce(new LeadershipChange(topicPartition, false, partition.LeaderEpoch));
            }
        }

        _logs.DeleteLog(topicPartition);
    }

    private void Fail(TopicPartition topicPartition, Exception error)
    {
        if (_partitions.TryGetValue(topicPartition, out var partition) && partition.MarkOffline())
        {
            Announce(new LeadershipChange(topicPartition, false, partition.LeaderEpoch));
        }

        var attempts = _retries.TryGetValue(topicPartition, out var retry) ? retry.Attempts + 1 : 1;
        var backoff = TimeSpan.FromTicks((long)Math.Min(_options.MaxRetryBackoff.Ticks, _options.InitialRetryBackoff.Ticks * Math.Pow(2, Math.Min(attempts - 1, 30))));
        _retries[topicPartition] = (attempts, Time.GetUtcNow() + backoff);
        _failures[topicPartition] = error.Message;
        _logger.LogError(error,
            "Could not apply metadata offset {Offset} to {Partition} (attempt {Attempt}): it serves no requests (KAFKA_STORAGE_ERROR) until this succeeds; retrying in {Backoff}",
            Image?.Offset, topicPartition, attempts, backoff);
        ScheduleRetry();
    }

    private void ScheduleRetry()
    {
        if (_disposed || _retries.Count == 0)
        {
            return;
        }

        var due = _retries.Values.Min(r => r.Due) - Time.GetUtcNow();
        _retryTimer ??= Time.CreateTimer(_ => RetryDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _retryTimer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void RetryDue()
    {
        lock (_applyLock)
        {
            if (_disposed || Image is not { } image)
            {
                return;
            }

            var now = Time.GetUtcNow();
            foreach (var topicPartition in _retries.Where(r => r.Value.Due <= now).Select(r => r.Key).ToList())
            {
                Reconcile(topicPartition, image);
            }

            ScheduleRetry();
        }
    }

    private void Announce(LeadershipChange change)
    {
        foreach (var watcher in _watchers)
        {
            Notify(watcher, change);
        }
    }

    private void Notify(Action<LeadershipChange> watcher, LeadershipChange change)
    {
        try
        {
            watcher(change);
        }
#pragma warning disable CA1031 // A faulty watcher must not stop the partition's transition or other watchers.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "A leadership watcher failed on {Change}", change);
        }
    }

    private sealed class Unwatch(ReplicaManager owner, Action<LeadershipChange> onChange) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._applyLock)
            {
                owner._watchers.Remove(onChange);
            }
        }
    }
}
