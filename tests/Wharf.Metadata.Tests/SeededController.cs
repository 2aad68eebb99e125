using System.Collections.Immutable;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>
/// A controller (node 1, active, on an <see cref="InMemoryMetadataLog"/>) over an image seeded with brokers 1..n and
/// topic <see cref="Topic"/> whose partitions are given as records, so a test starts from any partition state (a shrunk
/// ISR, an offline partition, a reassignment under way) without driving the controller there first.
/// </summary>
internal sealed class SeededController
{
    public const string Topic = "orders";

    public static readonly Guid TopicId = Guid.Parse("0a0a0a0a-0000-0000-0000-000000000001");

    private SeededController(Controller controller, InMemoryMetadataLog log)
    {
        Controller = controller;
        Log = log;
    }

    public Controller Controller { get; }

    public InMemoryMetadataLog Log { get; }

    /// <summary>Broker <paramref name="id"/>'s seeded registration (incarnation derived from the id).</summary>
    public static BrokerRegistration Broker(int id) =>
        new(id, new Guid(id, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]), [new Listener("PLAINTEXT", "127.0.0.1", 9090 + id)], null);

    /// <summary>
    /// Brokers 1..<paramref name="brokers"/> (those in <paramref name="fenced"/> fenced), topic <see cref="Topic"/> with
    /// <paramref name="partitions"/> (replicas, ISR, leader, epochs; topic id ignored) and <paramref name="topicConfigs"/>.
    /// </summary>
    public static SeededController Start(
        int brokers,
        IEnumerable<PartitionRecord> partitions,
        IEnumerable<int>? fenced = null,
        IEnumerable<(string Key, string Value)>? topicConfigs = null,
        params (string Key, string Value)[] brokerConfig)
    {
        var records = new List<MetadataRecord>();
        foreach (var registration in Enumerable.Range(1, brokers).Select(Broker))
        {
            records.Add(new RegisterBrokerRecord(registration.NodeId, registration.IncarnationId, registration.Endpoints, registration.Rack));
            if (fenced?.Contains(registration.NodeId) == true)
            {
                records.Add(new BrokerRegistrationChangeRecord(registration.NodeId, registration.IncarnationId, Fenced: true));
            }
        }

        records.Add(new TopicRecord(Topic, TopicId));
        records.AddRange(partitions.Select(p => p with { TopicId = TopicId }));
        records.AddRange((topicConfigs ?? []).Select(c => new ConfigRecord(ConfigResourceType.Topic, Topic, c.Key, c.Value)));
        var image = records.Aggregate(MetadataImage.Empty("cluster", 1, 1), (i, r) => i.Apply(r));
        var log = new InMemoryMetadataLog();
        return new SeededController(new Controller(log, image, TestConfigs.Broker(brokerConfig), new ControllerOptions { SnapshotEveryRecords = 0 }), log);
    }

    /// <summary>A partition of <see cref="Topic"/>: replicas, ISR, leader, leader epoch, partition epoch.</summary>
    public static PartitionRecord Partition(int index, int[] replicas, int[] isr, int leader, int leaderEpoch = 5, int partitionEpoch = 10) =>
        new(TopicId, index, [.. replicas], [.. isr], leader, leaderEpoch, partitionEpoch);

    /// <summary>Partition <paramref name="index"/> of <see cref="Topic"/> in the controller's current image.</summary>
    public PartitionImage this[int index] => Controller.Current.TopicsById[TopicId].Partitions[index];

    public static ImmutableArray<int> Ids(params int[] ids) => [.. ids];
}
