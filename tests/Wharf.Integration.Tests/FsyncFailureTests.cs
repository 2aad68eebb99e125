using Confluent.Kafka;
using Wharf.TestKit;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// A failed fsync seen by a real client (Confluent.Kafka): the partition whose log could not be fsync'd answers
/// KAFKA_STORAGE_ERROR and keeps answering it after the device recovers (nothing is retried as if it were safe),
/// its acknowledged records stay readable, the other partition carries on, and a restart recovers the log.
/// </summary>
public sealed class FsyncFailureTests
{
    private const string Topic = "fsync-failure";

    [Fact]
    public async Task FailedFsync_PartitionAnswersStorageErrorUntilRestart_OthersCarryOn()
    {
        var root = Path.Combine(Path.GetTempPath(), "wharf-fsync-failure-" + Guid.NewGuid().ToString("N"));
        var disk = new SimulatedDisk(root);
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.dirs"] = root, ["log.flush.mode"] = "ack" }, disk: disk);
        await broker.CreateTopicAsync(Topic, partitions: 2);
        var partition0 = new TopicPartition(Topic, 0);
        var partition1 = new TopicPartition(Topic, 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = false,
            MessageSendMaxRetries = 0,
        }).Build();

        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition0, new Message<Null, string> { Value = "before" })).Status);

        disk.FailFsyncs = path => path.Contains($"{Topic}-0", StringComparison.Ordinal);
        var failed = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(partition0, new Message<Null, string> { Value = "lost" }));
        Assert.Equal(ErrorCode.KafkaStorageError, failed.Error.Code);

        disk.FailFsyncs = null;
        var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(partition0, new Message<Null, string> { Value = "refused" }));
        Assert.Equal(ErrorCode.KafkaStorageError, refused.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition1, new Message<Null, string> { Value = "other" })).Status);
        Assert.Equal(["before"], Consume(broker.BootstrapServers, partition0, 1));

        await broker.RestartAsync();
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition0, new Message<Null, string> { Value = "after" })).Status);
        // "lost" was never acknowledged: recovery may keep it (its bytes reached the file) or not; "refused" was never written.
        var recovered = Consume(broker.BootstrapServers, partition0, 3);
        Assert.Equal("before", recovered[0]);
        Assert.Equal("after", recovered[^1]);
        Assert.DoesNotContain("refused", recovered);
    }

    private static List<string> Consume(string bootstrap, TopicPartition partition, int atLeast)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "fsync-failure-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is not { } result)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                if (values.Count >= atLeast)
                {
                    break;
                }

                continue;
            }

            values.Add(result.Message.Value);
        }

        return values;
    }
}
