using Wharf.Protocol.Messages;
using Wharf.Testing.Faults;
using Xunit.Abstractions;

namespace Wharf.Fault.Tests.Cluster;

/// <summary>
/// A cluster started with fault proxies really sends its traffic through them: clients, the brokers' calls to each
/// other and every broker's etcd link each appear as their own link, so a rule on a link cuts what it says.
/// </summary>
public sealed class FaultProxyClusterTests(ITestOutputHelper output)
{
    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task ClientsBrokersAndEtcdLinks_AllGoThroughTheProxies()
    {
        ExternalTools.Require(ExternalTool.Etcd);
        await using var cluster = await WharfCluster.StartAsync(new WharfClusterOptions { Brokers = 3, FaultProxies = true });
        var network = cluster.Network!;
        var controller = await cluster.ControllerIdAsync();
        var other = cluster.NodeIds.First(n => n != controller);

        // Sent raw to a non-controller (clients address the controller themselves): it forwards to the controller over
        // the address the controller advertises.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var connection = await RawKafkaConnection.ConnectAsync(cluster.BootstrapServersOf(other)))
        {
            await connection.SendAsync(new CreateTopicsRequest { Topics = [new() { Name = "through-proxies", NumPartitions = 1, ReplicationFactor = 3 }], timeoutMs = 10_000 }, 4);
            var created = await connection.ReceiveAsync<CreateTopicsResponse>(4, timeout.Token);
            Assert.Equal(0, Assert.Single(created.Topics).ErrorCode);
        }

        var seen = network.SeenLinks;
        output.WriteLine(string.Join(", ", seen.Select(l => $"{l.From} -> {l.To}")));
        Assert.Contains((FaultEndpoint.Clients, FaultEndpoint.Broker(other)), seen);
        Assert.Contains((FaultEndpoint.Broker(other), FaultEndpoint.Broker(controller)), seen);
        Assert.All(cluster.NodeIds, n => Assert.Contains((FaultEndpoint.Broker(n), FaultEndpoint.Etcd), seen));
        Assert.All(cluster.NodeIds, n => Assert.NotEqual(cluster.DirectAddressOf(n), cluster.BootstrapServersOf(n)));
    }
}
