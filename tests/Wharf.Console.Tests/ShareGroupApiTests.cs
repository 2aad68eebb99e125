using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Client;

namespace Wharf.Console.Tests;

/// <summary>A share group (KIP-932, librdkafka's share consumer through Wharf.Client) in the admin API: listed as <c>share</c>, its start offset and lag shown.</summary>
public sealed class ShareGroupApiTests
{
    [Fact]
    public async Task ShareGroup_AfterAcceptingTheFirstRecords_IsListedAsShareWithItsStartOffsetAndLag()
    {
        await using var broker = await WharfBroker.StartAsync();
        using var api = new ApiClient(broker.HttpAddress!);
        await broker.CreateTopicAsync("jobs");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.IncrementalAlterConfigsAsync(new()
            {
                [new ConfigResource { Type = ResourceType.Group, Name = "workers" }] =
                    [new ConfigEntry { Name = "share.auto.offset.reset", Value = "earliest", IncrementalOperation = AlterConfigOpType.Set }],
            });
        }

        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("jobs", 0), new Message<Null, string> { Value = $"job-{i}" });
            }
        }

        using var consumer = new ShareConsumer(new ShareConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "workers",
            ClientId = "worker-1",
            AcknowledgementMode = ShareAcknowledgementMode.Explicit,
        });
        consumer.Subscribe(["jobs"]);
        var accepted = new HashSet<long>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (accepted.Count < 4 && DateTime.UtcNow < deadline)
        {
            var batch = consumer.Consume(TimeSpan.FromMilliseconds(500));
            foreach (var record in batch.Where(r => !r.IsError))
            {
                var accept = record.Offset < 4;
                consumer.Acknowledge(record, accept ? AcknowledgeType.Accept : AcknowledgeType.Release);
                if (accept)
                {
                    accepted.Add(record.Offset);
                }
            }

            if (batch.Count > 0)
            {
                Assert.All(consumer.CommitSync(TimeSpan.FromSeconds(15)), r => Assert.True(r.Succeeded, $"commit failed: {r.Error}"));
            }
        }

        var detail = await api.WaitForAsync("api/v1/groups/workers", g => g["offsets"]!.AsArray().Count == 1 && (long?)g["offsets"]![0]!["committed_offset"] == 4);
        var listed = (await api.GetAsync("api/v1/groups")).Ok()["groups"]!.AsArray().Single(g => (string?)g!["group_id"] == "workers")!;

        Assert.Equal("share", (string?)listed["type"]);
        Assert.Equal("share", (string?)detail["type"]);
        var offset = detail["offsets"]![0]!;
        Assert.Equal("jobs", (string?)offset["topic"]);
        Assert.Equal(10, (long)offset["log_end_offset"]!);
        Assert.Equal(6, (long)offset["lag"]!);
        Assert.Equal(6, (long)detail["total_lag"]!);
        var member = Assert.Single(detail["members"]!.AsArray())!;
        Assert.Equal("worker-1", (string?)member["client_id"]);
        Assert.Equal("jobs", (string?)Assert.Single(member["assignment"]!.AsArray())!["topic"]);
    }
}
