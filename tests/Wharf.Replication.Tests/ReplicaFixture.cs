using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Replication.Tests;

/// <summary>
/// A <see cref="ReplicaManager"/> for node 1 over a temporary data directory in virtual time, and metadata images
/// built from records: brokers 1 and 2 registered, topics whose partitions name a leader, replicas and epochs.
/// </summary>
internal sealed class ReplicaFixture : IDisposable
{
    public const int LocalNode = 1;
    public const int OtherNode = 2;

    private static readonly LogConfig TestConfig = new() { FlushMode = LogFlushMode.Interval };

    public ReplicaFixture(int seed = 14)
    {
        Random = new Random(seed);
        Directory = System.IO.Directory.CreateTempSubdirectory("wharf-replication-").FullName;
        Logs = LogManager.Open(new LogManagerOptions { DataDirectory = Directory, Time = Time, EnableBackgroundTasks = false, DefaultConfig = TestConfig });
        Replicas = new ReplicaManager(Logs, Time);
        Image = Apply(
            MetadataImage.Empty("test-cluster", LocalNode, LocalNode),
            new RegisterBrokerRecord(LocalNode, Guid.NewGuid(), [new Listener("PLAINTEXT", "broker1", 9092)], null),
            new RegisterBrokerRecord(OtherNode, Guid.NewGuid(), [new Listener("PLAINTEXT", "broker2", 9093)], "rack-b"));
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public Random Random { get; }

    public string Directory { get; }

    public LogManager Logs { get; }

    public ReplicaManager Replicas { get; }

    /// <summary>The image last applied with <see cref="Change"/>.</summary>
    public MetadataImage Image { get; private set; }

    public static MetadataImage Apply(MetadataImage image, params MetadataRecord[] records) => records.Aggregate(image, (i, r) => i.Apply(r));

    public static PartitionRecord Partition(Guid topicId, int partition, int leader, int leaderEpoch, params int[] replicas) =>
        new(topicId, partition, [.. replicas.Length == 0 ? [leader] : replicas], [.. replicas.Length == 0 ? [leader] : replicas], leader, leaderEpoch, leaderEpoch);

    /// <summary>Applies <paramref name="records"/> on top of the current image and hands the delta to the replica manager.</summary>
    public MetadataImage Change(params MetadataRecord[] records)
    {
        var before = Image;
        Image = Apply(before, records).WithOffset(before.Offset + records.Length);
        Replicas.ApplyDelta(before, Image, _ => TestConfig);
        return Image;
    }

    /// <summary>A small valid batch of <paramref name="count"/> records with seeded values.</summary>
    public byte[] Batch(int count = 1)
    {
        var builder = new RecordBatchBuilder();
        for (var i = 0; i < count; i++)
        {
            var value = new byte[16];
            Random.NextBytes(value);
            builder.Append(Time.GetUtcNow().ToUnixTimeMilliseconds(), null, value);
        }

        return builder.ToArray();
    }

    public void Dispose()
    {
        Replicas.Dispose();
        Logs.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Replica lists for tests.</summary>
internal static class Nodes
{
    public static ImmutableArray<int> Of(params int[] nodes) => [.. nodes];
}
