using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Network;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Records;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server.Tests;

/// <summary>
/// Node 1's view of a two-broker cluster, without a network: brokers 1 and 2 registered, and topic <c>orders</c> with
/// partition 0 led here (epoch 4), partition 1 led by node 2 with no replica here (epoch 7), partition 2 led by node 2
/// with this node a follower (epoch 3). The <see cref="ReplicaManager"/> follows that image, so handlers built over it
/// answer as node 1 would in a cluster.
/// </summary>
internal sealed class ClusterView : IDisposable
{
    public const string Topic = "orders";
    public const string Listener = "PLAINTEXT";

    public static readonly Guid OrdersId = new("00000000-0000-0000-0000-0000000000aa");
    private static readonly LogConfig Config = new() { FlushMode = LogFlushMode.Interval };

    public ClusterView()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("wharf-server-").FullName;
        Logs = LogManager.Open(new LogManagerOptions { DataDirectory = Directory, Time = Time, EnableBackgroundTasks = false, DefaultConfig = Config });
        Replicas = new ReplicaManager(Logs, Time);
        var empty = MetadataImage.Empty("test-cluster", 1, 1);
        var image = new MetadataRecord[]
        {
            new RegisterBrokerRecord(1, Guid.NewGuid(), [new Listener(Listener, "broker1", 9092)], null),
            new RegisterBrokerRecord(2, Guid.NewGuid(), [new Listener("INTERNAL", "10.0.0.2", 19093), new Listener(Listener, "broker2", 9093)], "rack-b"),
            new TopicRecord(Topic, OrdersId),
            new PartitionRecord(OrdersId, 0, [1], [1], 1, 4, 4),
            new PartitionRecord(OrdersId, 1, [2], [2], 2, 7, 7),
            new PartitionRecord(OrdersId, 2, [2, 1], [2, 1], 2, 3, 3),
        }.Aggregate(empty, (i, r) => i.Apply(r));
        Replicas.ApplyDelta(empty, image, _ => Config);
        Image = image;
    }

    /// <summary>The image the <see cref="Replicas"/> follow.</summary>
    public MetadataImage Image { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string Directory { get; }

    public LogManager Logs { get; }

    public ReplicaManager Replicas { get; }

    public static RequestContext Context(ApiKey api, short version) =>
        new(new ConnectionInfo("test-connection", null, null, Listener), new RequestHeader { ApiKey = api, ApiVersion = version });

    public static ReadOnlySequence<byte> Batch() => new(new RecordBatchBuilder().Append(1_700_000_000_000, null, "value"u8.ToArray()).ToArray());

    /// <summary>The message as a client at <paramref name="version"/> would decode it from the wire.</summary>
    public static T RoundTrip<T>(T message, short version)
        where T : IApiMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        message.Write(ref writer, version);
        writer.Flush();
        var reader = new KafkaReader(output.WrittenMemory);
        return T.Read(ref reader, version);
    }

    public void Dispose()
    {
        Replicas.Dispose();
        Logs.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
