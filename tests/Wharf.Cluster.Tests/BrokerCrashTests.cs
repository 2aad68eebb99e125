using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// kill -9 of a broker that is not the controller: with replication factor 1 its partitions go offline (leader -1)
/// while the others keep taking writes; restarted on the same data, it leads them again with every record.
/// </summary>
public sealed class BrokerCrashTests(ITestOutputHelper output)
{
    private const int Partitions = 12;
    private const int Before = 10;
    private const int During = 5;

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task KillNineOfANonController_ItsPartitionsGoOffline_TheOthersKeepServing_AndARestartBringsThemBackWithTheirData()
    {
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var victim = cluster.NodeIds.First(n => n != controller);
        var topic = TestClusters.Name("crash");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, Partitions);
        using (var producer = Clients.Producer(cluster.BootstrapServers))
        {
            for (var partition = 0; partition < Partitions; partition++)
            {
                await Clients.ProduceAsync(producer, topic, partition, Before, $"before-p{partition}");
            }
        }

        var leaders = (await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic)).Leaders;
        var lost = leaders.Where(l => l.Value == victim).Select(l => l.Key).Order().ToArray();
        var kept = leaders.Keys.Except(lost).Order().ToArray();
        Assert.Equal(4, lost.Length);

        cluster.Kill(victim);

        BrokerAnswer? answer = null;
        await Wait.UntilAsync(
            async () =>
            {
                answer = await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic);
                return !answer.Brokers.Contains(victim) && lost.All(p => answer.Leaders[p] == -1);
            },
            $"broker {victim}'s partitions to go offline",
            () => answer?.ToString() ?? "nothing");
        Assert.All(kept, p => Assert.Equal(leaders[p], answer!.Leaders[p]));
        using (var producer = Clients.Producer(string.Join(',', cluster.RunningNodeIds.Select(cluster.BootstrapServersOf))))
        {
            foreach (var partition in kept)
            {
                await Clients.ProduceAsync(producer, topic, partition, During, $"during-p{partition}");
            }
        }

        await cluster.RestartAsync(victim);

        await Wait.UntilAsync(
            async () =>
            {
                answer = await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic);
                return lost.All(p => answer.Leaders[p] == victim);
            },
            $"broker {victim} to lead its partitions again",
            () => answer?.ToString() ?? "nothing");
        foreach (var partition in lost)
        {
            var read = Clients.ReadPartition(cluster.BootstrapServers, topic, partition, Before);
            Assert.Equal(Enumerable.Range(0, Before).Select(i => $"before-p{partition}-v{i}"), read.Select(r => r.Message.Value));
        }

        Assert.All(kept, p => Assert.Equal(Before + During, Clients.Count(cluster.BootstrapServers, topic, p)));
        Assert.All(lost, p => Assert.Equal(Before, Clients.Count(cluster.BootstrapServers, topic, p)));
        using var after = Clients.Producer(cluster.BootstrapServers);
        foreach (var partition in lost)
        {
            await Clients.ProduceAsync(after, topic, partition, 1, $"after-p{partition}");
            Assert.Equal(Before + 1, Clients.Count(cluster.BootstrapServers, topic, partition));
        }
    }
}
