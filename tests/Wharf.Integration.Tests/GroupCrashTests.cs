using System.Collections.Concurrent;
using Confluent.Kafka;
using Wharf.Protocol.Messages;

namespace Wharf.Integration.Tests;

/// <summary>kill -9 of the real broker process while groups commit offsets under <c>log.flush.mode=ack</c>.</summary>
public sealed class GroupCrashTests : IDisposable
{
    private const string Topic = "commits";
    private const int Committers = 8;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "wharf-group-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task KillNineDuringCommits_EveryAcknowledgedCommitIsFetchedAfterRestart_AndNoOffsetMovesBackwards()
    {
        var acknowledged = new ConcurrentDictionary<int, long>(); // committer → last acknowledged offset
        var attempted = new ConcurrentDictionary<int, long>();    // committer → last offset sent
        var total = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int port;
        using (var broker = await BrokerProcess.StartAsync(_dataDirectory, null, "log.flush.mode=ack", "num.partitions=4"))
        {
            port = broker.Port;
            using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
            {
                await producer.ProduceAsync(Topic, new Message<Null, string> { Value = "creates the topic" });
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var committers = Enumerable.Range(0, Committers).Select(k => Task.Run(async () =>
            {
                await using var connection = await RawKafkaConnection.ConnectAsync(broker.BootstrapServers);
                for (long offset = 1; !stop.IsCancellationRequested; offset++)
                {
                    attempted[k] = offset;
                    try
                    {
                        await connection.SendAsync(Commit(k, offset), 8);
                        var response = await connection.ReceiveAsync<OffsetCommitResponse>(8, stop.Token);
                        Assert.Equal(0, response.Topics[0].Partitions[0].ErrorCode);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                        return; // the broker is gone
                    }

                    acknowledged[k] = offset;
                    if (Interlocked.Increment(ref total) >= 3000)
                    {
                        enough.TrySetResult();
                    }
                }
            })).ToList();

            await enough.Task.WaitAsync(TimeSpan.FromSeconds(60));
            broker.Kill();
            await Task.WhenAll(committers).WaitAsync(TimeSpan.FromSeconds(30));
        }

        using var restarted = await BrokerProcess.StartAsync(_dataDirectory, port);
        await using var fetcher = await RawKafkaConnection.ConnectAsync(restarted.BootstrapServers);
        for (var k = 0; k < Committers; k++)
        {
            await fetcher.SendAsync(new OffsetFetchRequest { GroupId = GroupOf(k), Topics = [new() { Name = Topic, PartitionIndexes = [k % 4] }] }, 7);
            var fetched = await fetcher.ReceiveAsync<OffsetFetchResponse>(7);
            var partition = fetched.Topics[0].Partitions[0];
            var last = acknowledged.GetValueOrDefault(k);
            Assert.True(partition.CommittedOffset >= last, $"{GroupOf(k)}: committed {partition.CommittedOffset} after restart, but {last} was acknowledged");
            Assert.True(partition.CommittedOffset <= attempted.GetValueOrDefault(k), $"{GroupOf(k)}: committed {partition.CommittedOffset} was never sent");
            Assert.Equal($"commit {partition.CommittedOffset}", partition.Metadata);
        }

        Assert.True(total >= 3000);
    }

    private static string GroupOf(int committer) => $"crash-group-{committer}";

    private static OffsetCommitRequest Commit(int committer, long offset) => new()
    {
        GroupId = GroupOf(committer),
        GenerationIdOrMemberEpoch = -1,
        MemberId = "",
        Topics = [new() { Name = Topic, Partitions = [new() { PartitionIndex = committer % 4, CommittedOffset = offset, CommittedLeaderEpoch = 0, CommittedMetadata = $"commit {offset}" }] }],
    };
}
