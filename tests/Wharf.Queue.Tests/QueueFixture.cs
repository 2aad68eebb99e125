using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Client;
using Wharf.TestKit;

namespace Wharf.Queue.Tests;

/// <summary>What the share-group tests share: group configs through the admin API, producing, share consumers, draining.</summary>
internal static class QueueFixture
{
    /// <summary>Broker settings that allow short record locks, so lock expiry is tested in seconds.</summary>
    public static readonly IReadOnlyDictionary<string, string> ShortLocks = new Dictionary<string, string>
    {
        ["group.share.min.record.lock.duration.ms"] = "1000",
    };

    /// <summary>Sets share-group configs (IncrementalAlterConfigs on a GROUP resource), as an operator would.</summary>
    public static async Task SetGroupConfigsAsync(string bootstrap, string group, params (string Key, string Value)[] configs)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.IncrementalAlterConfigsAsync(new()
        {
            [new ConfigResource { Type = ResourceType.Group, Name = group }] =
                [.. configs.Select(c => new ConfigEntry { Name = c.Key, Value = c.Value, IncrementalOperation = AlterConfigOpType.Set })],
        });
    }

    /// <summary>Produces <paramref name="count"/> records k0/prefix0…; <paramref name="oneByOne"/> waits for each, so every record is its own batch.</summary>
    public static async Task<List<DeliveryResult<string, string>>> ProduceAsync(string bootstrap, string topic, int count, string prefix = "m", int? partition = null, bool oneByOne = false)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All, LingerMs = 5, EnableIdempotence = true }).Build();
        var sent = new List<Task<DeliveryResult<string, string>>>();
        for (var i = 0; i < count; i++)
        {
            var message = new Message<string, string> { Key = $"k{i}", Value = $"{prefix}{i}" };
            sent.Add(partition is { } p ? producer.ProduceAsync(new TopicPartition(topic, p), message) : producer.ProduceAsync(topic, message));
            if (oneByOne)
            {
                await sent[^1];
            }
        }

        return [.. await Task.WhenAll(sent)];
    }

    public static ShareConsumer Consumer(string bootstrap, string group, string clientId = "queue-test", int? maxPollRecords = null)
    {
        var config = new ShareConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            ClientId = clientId,
            AcknowledgementMode = ShareAcknowledgementMode.Explicit,
            MaxPollRecords = maxPollRecords,
        };
        if (Environment.GetEnvironmentVariable("SHARE_DEBUG") is { Length: > 0 } debug)
        {
            config.Set("debug", debug);
        }

        var consumer = new ShareConsumer(config);
        return consumer;
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds or <paramref name="limit"/> passes, handing every record to
    /// <paramref name="onRecord"/> (which acknowledges it) and committing after each non-empty batch.
    /// </summary>
    public static void PollUntil(ShareConsumer consumer, Func<bool> done, Action<ShareRecord> onRecord, TimeSpan limit, bool commit = true)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!done() && DateTime.UtcNow < deadline)
        {
            var batch = consumer.Consume(TimeSpan.FromMilliseconds(500));
            foreach (var record in batch.Where(r => !r.IsError))
            {
                onRecord(record);
            }

            if (commit && batch.Count > 0)
            {
                var results = consumer.CommitSync(TimeSpan.FromSeconds(15));
                Assert.All(results, r => Assert.True(r.Succeeded, $"commit of {r.Topic}-{r.Partition} failed: {r.Error}"));
            }
        }
    }

    /// <summary>ShareGroupDescribe over the wire (librdkafka's admin client does not send it).</summary>
    public static async Task<Wharf.Protocol.Messages.ShareGroupDescribeResponse.DescribedGroup> DescribeAsync(string bootstrap, string group)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        await connection.SendAsync(new Wharf.Protocol.Messages.ShareGroupDescribeRequest { GroupIds = [group] }, 1);
        return Assert.Single((await connection.ReceiveAsync<Wharf.Protocol.Messages.ShareGroupDescribeResponse>(1)).Groups);
    }

    /// <summary>Waits until <paramref name="group"/> has <paramref name="members"/> members, each with partitions assigned.</summary>
    public static async Task WaitForMembersAsync(string bootstrap, string group, int members)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var described = await DescribeAsync(bootstrap, group);
            if (described.Members.Count == members && described.Members.All(m => m.Assignment.TopicPartitions.Sum(t => t.Partitions.Count) > 0))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"share group {group} has {described.Members.Count} members, not {members} with assignments");
            }

            await Task.Delay(50);
        }
    }

    public static string Text(ShareRecord record) => record.Value is null ? "" : System.Text.Encoding.UTF8.GetString(record.Value);
}
