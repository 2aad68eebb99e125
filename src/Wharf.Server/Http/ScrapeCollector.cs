using Prometheus;
using Wharf.Coordinator;
using Wharf.Replication;
using Wharf.Server.Share;

namespace Wharf.Server.Http;

/// <summary>
/// Gauges read from the managers at scrape time, so nothing on the write path pays for them: replication
/// (<see cref="ReplicaManager.ReplicationStats"/>), each partition led here (log size, segments, high watermark as
/// <c>wharf_kafka_max_offset</c>), open connections, the produce and fetch purgatory sizes, and kafka_exporter's
/// <c>kafka_consumergroup_lag</c>, <c>kafka_consumergroup_lag_sum</c> and <c>kafka_consumergroup_members</c> for the
/// classic groups coordinated here, over the partitions with a replica here (the leader's high watermark, or a
/// follower's when the leader is elsewhere), and the lag and acquired records of each share-partition led here. Series
/// of partitions or groups that are gone are removed. Thread-safety: scrapes are serialised by a lock (prometheus-net may collect concurrently).
/// </summary>
internal sealed class ScrapeCollector
{
    private readonly ReplicaManager _replicas;
    private readonly GroupCoordinator _groups;
    private readonly Func<int> _openConnections;
    private readonly Lock _lock = new();

    private readonly Gauge _leaderPartitions;
    private readonly Gauge _underReplicated;
    private readonly Gauge _underMinIsr;
    private readonly Gauge _offline;
    private readonly Gauge _maxFollowerLag;
    private readonly Counter _isrShrinks;
    private readonly Counter _isrExpands;
    private readonly Gauge _connections;
    private readonly LabelledGauge _logSize;
    private readonly LabelledGauge _segments;
    private readonly LabelledGauge _maxOffset;
    private readonly LabelledGauge _groupLag;
    private readonly LabelledGauge _groupLagSum;
    private readonly LabelledGauge _groupMembers;
    private readonly LabelledGauge _shareLag;
    private readonly LabelledGauge _shareAcquired;
    private readonly SharePartitionManager? _shares;
    private readonly Func<bool> _isActiveController;
    private readonly Gauge _liveBrokers;
    private readonly Gauge _topics;
    private readonly Gauge _partitions;
    private readonly Gauge _activeController;
    private readonly Gauge _diskFree;
    private readonly Gauge _producePurgatory;
    private readonly Gauge _fetchPurgatory;

    public ScrapeCollector(IMetricFactory factory, ReplicaManager replicas, GroupCoordinator groups, Func<int> openConnections, SharePartitionManager? shares = null, Func<bool>? isActiveController = null)
    {
        _shares = shares;
        _isActiveController = isActiveController ?? (() => false);
        _replicas = replicas;
        _groups = groups;
        _openConnections = openConnections;
        _leaderPartitions = factory.CreateGauge("wharf_kafka_leader_partitions", "Partitions this broker leads.");
        _underReplicated = factory.CreateGauge("wharf_kafka_under_replicated_partitions", "Partitions led here with fewer in-sync replicas than replicas.");
        _underMinIsr = factory.CreateGauge("wharf_kafka_under_min_isr_partitions", "Partitions led here with fewer in-sync replicas than min.insync.replicas.");
        _offline = factory.CreateGauge("wharf_cluster_unavailable_partitions", "Partitions with no leader, plus those hosted here that cannot serve.");
        _maxFollowerLag = factory.CreateGauge("wharf_kafka_max_follower_lag_offsets", "Largest lag in offsets of any follower of a partition led here.");
        // Monotonic counters kept by the replication layer, copied in at scrape time (IncTo never moves back).
        _isrShrinks = factory.CreateCounter("wharf_kafka_isr_shrinks_total", "ISR shrinks this broker made as leader.");
        _isrExpands = factory.CreateCounter("wharf_kafka_isr_expands_total", "ISR expands this broker made as leader.");
        _connections = factory.CreateGauge("wharf_kafka_connections", "Open Kafka client connections.");
        _logSize = new LabelledGauge(factory.CreateGauge("wharf_kafka_log_size_bytes", "Bytes of a partition's log led here.", ["topic", "partition"]));
        _segments = new LabelledGauge(factory.CreateGauge("wharf_kafka_log_segments", "Segments of a partition's log led here.", ["topic", "partition"]));
        _maxOffset = new LabelledGauge(factory.CreateGauge("wharf_kafka_max_offset", "High watermark of a partition led here.", ["topic", "partition"]));
        _groupLag = new LabelledGauge(factory.CreateGauge("kafka_consumergroup_lag", "High watermark minus the group's committed offset (kafka_exporter's name).", ["consumergroup", "topic", "partition"]));
        _groupLagSum = new LabelledGauge(factory.CreateGauge("kafka_consumergroup_lag_sum", "The group's lag summed over the partitions of a topic (kafka_exporter's name).", ["consumergroup", "topic"]));
        _groupMembers = new LabelledGauge(factory.CreateGauge("kafka_consumergroup_members", "Members of a classic group coordinated here (kafka_exporter's name).", ["consumergroup"]));
        _shareLag = new LabelledGauge(factory.CreateGauge("wharf_share_group_lag", "Records of a share-partition led here not yet acknowledged or archived, up to the high watermark.", ["group", "topic", "partition"]));
        _shareAcquired = new LabelledGauge(factory.CreateGauge("wharf_share_group_records_acquired", "Records of a share-partition led here locked to a consumer now (in flight).", ["group", "topic", "partition"]));
        _liveBrokers = factory.CreateGauge("wharf_cluster_brokers", "Live (registered, unfenced) brokers in this broker's metadata.");
        _topics = factory.CreateGauge("wharf_cluster_topics", "Topics in the cluster, internal ones included.");
        _partitions = factory.CreateGauge("wharf_cluster_partitions", "Partitions in the cluster, internal ones included.");
        _activeController = factory.CreateGauge("wharf_cluster_active_controller", "1 on the broker that is the active controller, else 0 (sum over brokers: exactly 1 when healthy).");
        _diskFree = factory.CreateGauge("wharf_storage_disk_free_bytes", "Free bytes on the file system of the data directory.");
        _producePurgatory = factory.CreateGauge("wharf_kafka_produce_purgatory_size", "acks=all produce waits (one per partition) parked on the high watermark now.");
        _fetchPurgatory = factory.CreateGauge("wharf_kafka_fetch_purgatory_size", "Fetch requests (consumers' and followers') long-polling for data now.");
    }

    public void Collect()
    {
        lock (_lock)
        {
            var stats = _replicas.ReplicationStats();
            _leaderPartitions.Set(stats.LeaderPartitions);
            _underReplicated.Set(stats.UnderReplicatedPartitions);
            _underMinIsr.Set(stats.UnderMinIsrPartitions);
            _offline.Set(stats.OfflinePartitions);
            _maxFollowerLag.Set(stats.MaxFollowerLag);
            _isrShrinks.IncTo(stats.IsrShrinks);
            _isrExpands.IncTo(stats.IsrExpands);
            _connections.Set(_openConnections());
            _producePurgatory.Set(stats.ParkedProduces);
            CollectCluster();
            _fetchPurgatory.Set(stats.ParkedFetches);

            var highWatermarks = new Dictionary<(string Topic, int Partition), long>();
            foreach (var partition in _replicas.Partitions)
            {
                var topic = partition.TopicPartition.Topic;
                var index = partition.TopicPartition.Partition;
                if (!partition.IsLeader)
                {
                    // A follower's high watermark trails the leader's by at most one fetch: good enough for lag.
                    highWatermarks.TryAdd((topic, index), partition.HighWatermark);
                    continue;
                }

                var labels = new[] { topic, Label(index) };
                _logSize.Set(labels, partition.Size);
                _segments.Set(labels, partition.SegmentCount);
                _maxOffset.Set(labels, partition.HighWatermark);
                highWatermarks[(topic, index)] = partition.HighWatermark;
            }

            CollectGroupLag(highWatermarks);
            CollectShareGroups();
            _logSize.RemoveUnseen();
            _segments.RemoveUnseen();
            _maxOffset.RemoveUnseen();
            _groupLag.RemoveUnseen();
            _groupLagSum.RemoveUnseen();
            _groupMembers.RemoveUnseen();
            _shareLag.RemoveUnseen();
            _shareAcquired.RemoveUnseen();
        }
    }

    private void CollectGroupLag(Dictionary<(string Topic, int Partition), long> highWatermarks)
    {
        foreach (var (groupId, _, _) in _groups.ListGroups())
        {
            _groupMembers.Set([groupId], _groups.DescribeGroup(groupId).Members.Count);

            var (error, topics) = _groups.FetchOffsets(groupId, null, requireStable: false);
            if (error != Common.ErrorCode.None)
            {
                continue;
            }

            foreach (var topic in topics)
            {
                long sum = 0;
                var known = false;
                foreach (var partition in topic.Partitions)
                {
                    if (partition.CommittedOffset >= 0 && highWatermarks.TryGetValue((topic.Name, partition.PartitionIndex), out var highWatermark))
                    {
                        var lag = Math.Max(0, highWatermark - partition.CommittedOffset);
                        _groupLag.Set([groupId, topic.Name, Label(partition.PartitionIndex)], lag);
                        sum += lag;
                        known = true;
                    }
                }

                if (known)
                {
                    _groupLagSum.Set([groupId, topic.Name], sum);
                }
            }
        }
    }

    private void CollectCluster()
    {
        if (_replicas.Image is { } image)
        {
            _liveBrokers.Set(image.LiveBrokers.Count());
            _topics.Set(image.TopicsByName.Count);
            _partitions.Set(image.TopicsByName.Values.Sum(t => t.Partitions.Count));
        }

        _activeController.Set(_isActiveController() ? 1 : 0);
        try
        {
            _diskFree.Set(new DriveInfo(Path.GetFullPath(_replicas.DataDirectory)).AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The data directory's file system cannot be asked (gone, or not a mount we can read): keep the last value.
        }
    }

    private void CollectShareGroups()
    {
        foreach (var (group, partition, state, acquired) in _shares?.Snapshots() ?? [])
        {
            if (_replicas.GetPartition(partition) is { IsLeader: true } leader)
            {
                string[] labels = [group, partition.Topic, Label(partition.Partition)];
                _shareLag.Set(labels, state.LagTo(leader.HighWatermark));
                _shareAcquired.Set(labels, acquired);
            }
        }
    }

    private static string Label(int partition) => partition.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A labelled gauge that forgets the series a scrape did not set (a partition moved away, a group deleted).</summary>
    private sealed class LabelledGauge(Gauge gauge)
    {
        private HashSet<string[]> _previous = new(LabelsComparer.Instance);
        private HashSet<string[]> _current = new(LabelsComparer.Instance);

        public void Set(string[] labels, double value)
        {
            gauge.WithLabels(labels).Set(value);
            _current.Add(labels);
        }

        public void RemoveUnseen()
        {
            foreach (var labels in _previous.Where(l => !_current.Contains(l)))
            {
                gauge.RemoveLabelled(labels);
            }

            (_previous, _current) = (_current, _previous);
            _current.Clear();
        }
    }

    private sealed class LabelsComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelsComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] labels)
        {
            var hash = default(HashCode);
            foreach (var label in labels)
            {
                hash.Add(label);
            }

            return hash.ToHashCode();
        }
    }
}
