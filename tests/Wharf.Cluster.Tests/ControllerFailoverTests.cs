using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>kill -9 of the active controller: the surviving brokers elect another one, which then serves topic creation.</summary>
public sealed class ControllerFailoverTests(ITestOutputHelper output)
{
    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task KillNineOfTheController_AnotherBrokerBecomesController_AndTopicCreationStillWorks()
    {
        await using var own = await TestClusters.StartAsync(output);
        var cluster = own.Cluster;
        var killed = await cluster.ControllerIdAsync();
        var survivors = cluster.NodeIds.Where(n => n != killed).ToArray();

        cluster.Kill(killed);

        await cluster.WaitForLiveBrokersAsync(survivors, TestClusters.WaitLimit);
        var elected = await cluster.ControllerIdAsync();
        Assert.Contains(elected, survivors);
        using var admin = Clients.Admin(cluster.BootstrapServers);
        var described = await admin.DescribeClusterAsync();
        Assert.Equal(elected, described.Controller.Id);
        Assert.Equal(survivors, described.Nodes.Select(n => n.Id).Order());

        var topic = TestClusters.Name("after-failover");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, 4);
        var leaders = Clients.Leaders(admin, topic);
        Assert.Equal(4, leaders.Count);
        Assert.Equal(survivors, leaders.Values.Distinct().Order());
        using var producer = Clients.Producer(cluster.BootstrapServers);
        for (var partition = 0; partition < 4; partition++)
        {
            await Clients.ProduceAsync(producer, topic, partition, 3, $"p{partition}");
            Assert.Equal(3, Clients.Count(cluster.BootstrapServers, topic, partition));
        }
    }
}
