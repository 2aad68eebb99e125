using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Server.Tests;

/// <summary>
/// Node 1's controller over a three-broker image (brokers 1–3 on 127.0.0.1 ports 1–3, where nothing listens) with
/// topic <c>orders</c>: partition 0 on [1, 2, 3] led by 1 (leader epoch 5, partition epoch 10), partition 1 on [2, 3]
/// led by 2. Node 1 is the active controller until a test hands the leadership to node 2.
/// </summary>
internal sealed class ControllerApiView
{
    public const string Topic = "orders";

    public static readonly Guid OrdersId = new("00000000-0000-0000-0000-0000000000bb");

    public ControllerApiView()
    {
        var records = new List<MetadataRecord>();
        foreach (var id in new[] { 1, 2, 3 })
        {
            records.Add(new RegisterBrokerRecord(id, Guid.NewGuid(), [new Listener("PLAINTEXT", "127.0.0.1", id)], null));
        }

        records.Add(new TopicRecord(Topic, OrdersId));
        records.Add(new PartitionRecord(OrdersId, 0, [1, 2, 3], [1, 2, 3], 1, 5, 10));
        records.Add(new PartitionRecord(OrdersId, 1, [2, 3], [2, 3], 2, 1, 1));
        var image = records.Aggregate(MetadataImage.Empty("test-cluster", 1, 1), (i, r) => i.Apply(r));
        Controller = new Controller(Log, image, BrokerConfig.Default, new ControllerOptions { SnapshotEveryRecords = 0 });
    }

    public InMemoryMetadataLog Log { get; } = new();

    public Controller Controller { get; }

    public PartitionImage this[int partition] => Controller.Current.TopicsById[OrdersId].Partitions[partition];

    /// <summary>Node 2 becomes the controller: node 1 answers NOT_CONTROLLER and forwards (to a port nobody listens on).</summary>
    public void HandLeadershipToNodeTwo() => Log.Leadership = new MetadataLeadership(2, 7);
}
