using Wharf.Common;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>A broker process that would be a second copy of a live broker, or that holds another cluster's data, is refused at start.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class BrokerIdentityTests(SharedClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(30);
    private readonly WharfCluster _cluster = fixture.Cluster;
    private readonly ClusterLogs _logs = new(output, fixture.Cluster);

    public void Dispose() => _logs.Dispose();

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task SecondBroker_WithTheNodeIdOfALiveOne_ExitsNonZeroSayingSo_AndTheLiveOneKeepsServing()
    {
        var duplicate = _cluster.Launch(2);

        var exitCode = await duplicate.WaitForExitAsync(ExitLimit);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(duplicate.Output, l => l.Contains("Broker 2 is already registered by a live process", StringComparison.Ordinal) && l.Contains("node.id", StringComparison.Ordinal));
        Assert.False(_cluster.Broker(2).HasExited, "the live broker 2 exited");
        await _cluster.WaitForLiveBrokersAsync([1, 2, 3], TestClusters.WaitLimit);
        await ProducesToEveryLeaderAsync();
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task SecondBroker_WithTheNodeIdOfALiveOne_NeverAcceptsAWrite_WhileItIsRefused()
    {
        var topic = TestClusters.Name("duplicate-writes");
        await Clients.CreateTopicAsync(_cluster.BootstrapServers, topic, 12);
        var partition = (await BrokerQuery.MetadataAsync(_cluster.BootstrapServersOf(1), topic)).Leaders.First(l => l.Value == 2).Key;
        var duplicate = _cluster.Launch(2);
        var answers = new List<ErrorCode>();
        var deadline = DateTime.UtcNow + ExitLimit;
        while (!duplicate.HasExited && DateTime.UtcNow < deadline)
        {
            try
            {
                answers.Add(await BrokerQuery.ProduceAsync(duplicate.BootstrapServers, topic, partition, "to-the-duplicate"));
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                // Not listening yet, or already gone.
            }
        }

        Assert.True(duplicate.HasExited, "the duplicate did not exit");
        Assert.NotEmpty(answers);
        Assert.DoesNotContain(ErrorCode.None, answers);
        Assert.Equal(0, Clients.Count(_cluster.BootstrapServers, topic, partition));
    }

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task Broker_WhoseDataDirectoryBelongsToAnotherCluster_RefusesToStartWithAClearMessage()
    {
        // A real data directory of another cluster: broker 4 of a cluster under another prefix of the same etcd.
        var foreign = _cluster.Launch(4, new Dictionary<string, string> { ["etcd.connect"] = $"{_cluster.Etcd.Endpoint}/{TestClusters.Name("other-cluster")}" });
        await foreign.WaitUntilReadyAsync(TestClusters.WaitLimit);
        Assert.Equal(0, await foreign.TerminateAsync(ExitLimit));

        var intruder = _cluster.Launch(4, new Dictionary<string, string> { ["log.dirs"] = foreign.DataDirectory });
        var exitCode = await intruder.WaitForExitAsync(ExitLimit);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(intruder.Output, l => l.Contains("belongs to another cluster", StringComparison.Ordinal) && l.Contains(foreign.DataDirectory, StringComparison.Ordinal));
        await _cluster.WaitForLiveBrokersAsync([1, 2, 3], TestClusters.WaitLimit);
    }

    /// <summary>One record to every partition of a new topic through broker 2's leaderships and the others'.</summary>
    private async Task ProducesToEveryLeaderAsync()
    {
        var topic = TestClusters.Name("after-duplicate");
        await Clients.CreateTopicAsync(_cluster.BootstrapServers, topic, 12);
        using var producer = Clients.Producer(_cluster.BootstrapServersOf(2));
        for (var partition = 0; partition < 12; partition++)
        {
            await Clients.ProduceAsync(producer, topic, partition, 1, $"p{partition}");
        }
    }
}
