using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Tests;

public sealed class GroupCommandTests
{
    private const string Topic = "orders";
    private const string Group = "billing";

    [Fact]
    public async Task Describe_AfterAConsumerCommits_ShowsCurrentOffsetLogEndAndLag()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 10, committed: 4);

        var run = await WharfCli.RunAsync("group", "describe", Group, "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        Assert.Equal(Group, json.GetProperty("group").GetString());
        Assert.Equal(6, json.GetProperty("total_lag").GetInt64());
        var partition = Assert.Single(json.GetProperty("partitions").EnumerateArray());
        Assert.Equal(Topic, partition.GetProperty("topic").GetString());
        Assert.Equal(4, partition.GetProperty("current_offset").GetInt64());
        Assert.Equal(10, partition.GetProperty("log_end_offset").GetInt64());
        Assert.Equal(6, partition.GetProperty("lag").GetInt64());
    }

    [Fact]
    public async Task Describe_AsTable_HasKafkasLagColumns()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 3, committed: 1);

        var run = await WharfCli.RunAsync("group", "describe", Group, "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var header = run.Stdout.Split('\n').Single(l => l.StartsWith("TOPIC", StringComparison.Ordinal));
        Assert.Equal(["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST"],
            header.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Describe_WithAnActiveMember_ShowsWhoOwnsThePartition()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 3, committed: 1);
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = Group,
            ClientId = "billing-worker",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(Topic);
        Assert.NotNull(consumer.Consume(TimeSpan.FromSeconds(30)));

        var run = await WharfCli.RunAsync("group", "describe", Group, "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        Assert.Equal("stable", json.GetProperty("state").GetString());
        var member = Assert.Single(json.GetProperty("members").EnumerateArray());
        Assert.Equal("billing-worker", member.GetProperty("client_id").GetString());
        var partition = Assert.Single(json.GetProperty("partitions").EnumerateArray());
        Assert.Equal(member.GetProperty("member_id").GetString(), partition.GetProperty("member_id").GetString());
        consumer.Close();
    }

    [Fact]
    public async Task List_ShowsTheGroupWithItsTypeAndState()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 1, committed: 1);

        var run = await WharfCli.RunAsync("group", "list", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var group = Assert.Single(run.Json().EnumerateArray(), g => g.GetProperty("group").GetString() == Group);
        Assert.False(string.IsNullOrEmpty(group.GetProperty("type").GetString()));
        Assert.Equal("empty", group.GetProperty("state").GetString());
    }

    [Fact]
    public async Task ResetOffsets_DryRun_PrintsThePlanAndChangesNothing()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 10, committed: 4);

        var run = await WharfCli.RunAsync("group", "reset-offsets", Group, "--topic", Topic, "--to-earliest", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(run.Json().GetProperty("executed").GetBoolean());
        var planned = Assert.Single(run.Json().GetProperty("partitions").EnumerateArray());
        Assert.Equal(4, planned.GetProperty("current_offset").GetInt64());
        Assert.Equal(0, planned.GetProperty("new_offset").GetInt64());
        Assert.Contains("dry run", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, await CommittedAsync(broker));
    }

    [Theory]
    [InlineData("--to-earliest", null, 0)]
    [InlineData("--to-latest", null, 10)]
    [InlineData("--to-offset", "7", 7)]
    [InlineData("--shift-by", "-3", 1)]
    [InlineData("--shift-by", "100", 10)]
    public async Task ResetOffsets_Execute_CommitsTheNewOffset(string how, string? value, long expected)
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 10, committed: 4);
        string[] arguments = ["group", "reset-offsets", Group, "--topic", Topic, how, .. value is null ? Array.Empty<string>() : [value], "--execute", "-b", broker.BootstrapServers];

        var run = await WharfCli.RunAsync(arguments);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(expected, await CommittedAsync(broker));
    }

    [Fact]
    public async Task ResetOffsets_WithTwoTargets_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("group", "reset-offsets", Group, "--topic", Topic, "--to-earliest", "--to-latest");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("exactly one of", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ShowsAShareGroupBesideAClassicOne_WithItsTypeAndState()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 2, committed: 1);
        using (var share = new Wharf.Client.ShareConsumer(new Wharf.Client.ShareConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "queue-workers" }))
        {
            share.Subscribe([Topic]);
            // A few polls: the first heartbeat creates the group (records produced earlier are not delivered).
            for (var i = 0; i < 4; i++)
            {
                share.Consume(TimeSpan.FromMilliseconds(500));
            }
        }

        var run = await WharfCli.RunAsync("group", "list", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var groups = run.Json().EnumerateArray().ToDictionary(g => g.GetProperty("group").GetString()!, g => (Type: g.GetProperty("type").GetString(), State: g.GetProperty("state").GetString()));
        Assert.Equal("classic", groups[Group].Type);
        Assert.Equal("share", groups["queue-workers"].Type);

        // The consumer has left (empty) unless its leave is still on its way (stable); never unknown.
        Assert.Contains(groups["queue-workers"].State, new[] { "empty", "stable" });
    }

    [Fact]
    public async Task Describe_AShareGroupWithAnActiveMember_ShowsTheMemberItsAssignmentStartOffsetAndLag()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("jobs");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.IncrementalAlterConfigsAsync(new()
            {
                [new ConfigResource { Type = ResourceType.Group, Name = "workers" }] =
                    [new ConfigEntry { Name = "share.auto.offset.reset", Value = "earliest", IncrementalOperation = AlterConfigOpType.Set }],
            });
        }

        await WharfCli.RunWithInputAsync("j0\nj1\nj2\nj3\nj4\n", "produce", "jobs", "-b", broker.BootstrapServers);
        using var share = new Wharf.Client.ShareConsumer(new Wharf.Client.ShareConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "workers",
            ClientId = "worker-1",
            AcknowledgementMode = Wharf.Client.ShareAcknowledgementMode.Explicit,
        });
        share.Subscribe(["jobs"]);
        var done = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (done < 5 && DateTime.UtcNow < deadline)
        {
            var batch = share.Consume(TimeSpan.FromMilliseconds(500));
            foreach (var record in batch.Where(r => !r.IsError))
            {
                share.Acknowledge(record);
                done++;
            }

            if (batch.Count > 0)
            {
                share.CommitSync();
            }
        }

        Assert.Equal(5, done);
        await WharfCli.RunWithInputAsync("j5\nj6\nj7\n", "produce", "jobs", "-b", broker.BootstrapServers);

        var run = await WharfCli.RunAsync("group", "describe", "workers", "--format", "json", "-b", broker.BootstrapServers);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        Assert.Equal("share", json.GetProperty("type").GetString());
        Assert.Equal("stable", json.GetProperty("state").GetString());
        var member = Assert.Single(json.GetProperty("members").EnumerateArray());
        Assert.Equal("worker-1", member.GetProperty("client_id").GetString());
        Assert.False(string.IsNullOrEmpty(member.GetProperty("member_id").GetString()));
        var assigned = Assert.Single(member.GetProperty("assignment").EnumerateArray());
        Assert.Equal("jobs", assigned.GetProperty("topic").GetString());
        Assert.Equal([0], assigned.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
        var partition = Assert.Single(json.GetProperty("partitions").EnumerateArray());
        Assert.Equal(5, partition.GetProperty("start_offset").GetInt64());
        Assert.Equal(3, partition.GetProperty("lag").GetInt64());
        Assert.Equal(3, json.GetProperty("total_lag").GetInt64());

        var table = await WharfCli.RunAsync("group", "describe", "workers", "-b", broker.BootstrapServers);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(table.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["jobs", "0", "5", "3"]);
        share.Close();
    }

    [Fact]
    public async Task Delete_RemovesTheGroup()
    {
        await using var broker = await WharfBroker.StartAsync();
        await ProduceAndCommitAsync(broker, produced: 2, committed: 2);

        var deleted = await WharfCli.RunAsync("group", "delete", Group, "-b", broker.BootstrapServers);
        var described = await WharfCli.RunAsync("group", "describe", Group, "-b", broker.BootstrapServers);

        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.NotEqual(0, described.ExitCode);
        Assert.Contains("does not exist", described.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Produces <paramref name="produced"/> records, then a consumer in the group reads and commits <paramref name="committed"/>.</summary>
    private static async Task ProduceAndCommitAsync(WharfBroker broker, int produced, int committed)
    {
        await broker.CreateTopicAsync(Topic);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < produced; i++)
            {
                await producer.ProduceAsync(Topic, new Message<Null, string> { Value = $"order-{i}" });
            }
        }

        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = Group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(Topic, 0, Offset.Beginning));
        ConsumeResult<Null, string>? last = null;
        for (var i = 0; i < committed; i++)
        {
            last = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("no record within 10 s");
        }

        consumer.Commit([new TopicPartitionOffset(Topic, 0, last!.Offset + 1)]);
        consumer.Close();
    }

    private static async Task<long?> CommittedAsync(WharfBroker broker)
    {
        var run = await WharfCli.RunAsync("group", "describe", Group, "--format", "json", "-b", broker.BootstrapServers);
        Assert.True(run.ExitCode == 0, run.ToString());
        var partition = run.Json().GetProperty("partitions").EnumerateArray().Single();
        return partition.GetProperty("current_offset").ValueKind == JsonValueKind.Null ? null : partition.GetProperty("current_offset").GetInt64();
    }
}
