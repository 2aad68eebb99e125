using Wharf.Cluster.Tests.Infrastructure;
using Wharf.Common;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// A broker cut off from etcd (a proxy between the two, blackholed) cannot know whether the cluster has fenced it, so
/// once its session would have expired it stops leading — produce answers NOT_LEADER_OR_FOLLOWER — and two brokers
/// never accept writes for one partition. When the proxy heals it registers again and leads its partitions again.
/// </summary>
public sealed class EtcdPartitionTests(ITestOutputHelper output)
{
    private const int CutOff = 3;

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task BrokerCutOffFromEtcd_FencesItselfAfterTheSessionTimeout_AndLeadsAgainOnceTheProxyHeals()
    {
        ExternalTools.Require(ExternalTool.Etcd);
        await using var etcd = await EtcdServer.StartAsync();
        await using var proxy = new BlackholeProxy(etcd.Endpoint);
        var defaults = TestClusters.Options();
        await using var own = await TestClusters.StartAsync(output, new WharfClusterOptions
        {
            Brokers = defaults.Brokers,
            Settings = defaults.Settings,
            Etcd = etcd,
            EtcdEndpoint = node => node == CutOff ? proxy.Endpoint : null,
        });
        var cluster = own.Cluster;
        var topic = TestClusters.Name("cut-off");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, 12);
        var observer = cluster.BootstrapServersOf(1);
        var leaders = (await BrokerQuery.MetadataAsync(observer, topic)).Leaders;
        var partition = leaders.First(l => l.Value == CutOff).Key;
        var broker = cluster.BootstrapServersOf(CutOff);
        Assert.Equal(ErrorCode.None, await BrokerQuery.ProduceAsync(broker, topic, partition, "before"));

        proxy.Blackhole();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = ErrorCode.None;
        var accepted = 0;
        await Wait.UntilAsync(
            async () =>
            {
                // Until it notices (90% of the session timeout without a renewal) it still takes writes.
                error = await BrokerQuery.ProduceAsync(broker, topic, partition, "while-cut-off");
                accepted += error == ErrorCode.None ? 1 : 0;
                return error == ErrorCode.NotLeaderOrFollower;
            },
            $"broker {CutOff} to refuse produce to partition {partition}",
            () => error.ToString());
        var fencedAfter = clock.Elapsed;
        BrokerAnswer? answer = null;
        await Wait.UntilAsync(
            async () =>
            {
                answer = await BrokerQuery.MetadataAsync(observer, topic);
                return !answer.Brokers.Contains(CutOff) && answer.Leaders[partition] == -1;
            },
            $"the other brokers to fence broker {CutOff}",
            () => answer?.ToString() ?? "nothing");

        proxy.Heal();

        await Wait.UntilAsync(
            async () =>
            {
                error = await BrokerQuery.ProduceAsync(broker, topic, partition, "after");
                return error == ErrorCode.None;
            },
            $"broker {CutOff} to lead partition {partition} again",
            () => error.ToString());
        await cluster.WaitForLiveBrokersAsync([1, 2, 3], TestClusters.WaitLimit);
        Assert.Equal(CutOff, (await BrokerQuery.MetadataAsync(observer, topic)).Leaders[partition]);

        // "before", the writes it took before it noticed the cut, and "after": nothing it refused was appended.
        Assert.Equal(2 + accepted, Clients.Count(observer, topic, partition));
        output.WriteLine($"broker {CutOff} refused writes {fencedAfter.TotalMilliseconds:0} ms after the cut ({accepted} accepted before)");
        Assert.True(fencedAfter < TimeSpan.FromSeconds(3) + TimeSpan.FromSeconds(5), $"fencing took {fencedAfter}");
    }
}
