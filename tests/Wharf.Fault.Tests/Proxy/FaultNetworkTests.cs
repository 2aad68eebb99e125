using Wharf.Testing.Faults;

namespace Wharf.Fault.Tests.Proxy;

/// <summary>The rule table: directed links, the convenience partitions, and who a client id names.</summary>
public sealed class FaultNetworkTests
{
    [Theory]
    [InlineData("wharf-broker-2", 2)]
    [InlineData("wharf-broker-13-markers", 13)]
    [InlineData("wharf-broker-1-verification", 1)]
    [InlineData("rdkafka", 0)]
    [InlineData("wharf-testing", 0)]
    [InlineData(null, 0)]
    [InlineData("wharf-broker-x", 0)]
    public void SourceOf_NamesABrokerOnlyForTheBrokersOwnClientIds(string? clientId, int broker)
    {
        Assert.Equal(broker == 0 ? FaultEndpoint.Clients : FaultEndpoint.Broker(broker), KafkaClientIds.SourceOf(clientId));
    }

    [Fact]
    public void Isolate_FromBrokers_BlackholesBothWaysToEveryOtherBroker_AndNothingElse()
    {
        var network = WithBrokers(1, 2, 3);

        network.Isolate(2, IsolationScope.FromBrokers);

        Assert.Equal(4, network.Rules.Count);
        Assert.True(network.RuleFor(FaultEndpoint.Broker(2), FaultEndpoint.Broker(1)).Blackholed);
        Assert.True(network.RuleFor(FaultEndpoint.Broker(3), FaultEndpoint.Broker(2)).Blackholed);
        Assert.True(network.RuleFor(FaultEndpoint.Broker(1), FaultEndpoint.Broker(3)).IsPass);
        Assert.True(network.RuleFor(FaultEndpoint.Broker(2), FaultEndpoint.Etcd).IsPass);
        Assert.True(network.RuleFor(FaultEndpoint.Clients, FaultEndpoint.Broker(2)).IsPass);
    }

    [Fact]
    public void Isolate_FromBrokersAndEtcd_LeavesOnlyClients()
    {
        var network = WithBrokers(1, 2, 3);

        network.Isolate(1, IsolationScope.FromBrokersAndEtcd);

        Assert.Equal(6, network.Rules.Count);
        Assert.True(network.RuleFor(FaultEndpoint.Etcd, FaultEndpoint.Broker(1)).Blackholed);
        Assert.True(network.RuleFor(FaultEndpoint.Clients, FaultEndpoint.Broker(1)).IsPass);
    }

    [Fact]
    public void Partition_CutsEveryPairAcrossTheSides_AndHealAllRestoresEverything()
    {
        var network = WithBrokers(1, 2, 3);

        network.Partition([FaultEndpoint.Broker(1)], [FaultEndpoint.Broker(2), FaultEndpoint.Broker(3), FaultEndpoint.Clients]);

        Assert.Equal(6, network.Rules.Count);
        Assert.True(network.RuleFor(FaultEndpoint.Broker(2), FaultEndpoint.Broker(3)).IsPass);
        network.HealAll();
        Assert.Empty(network.Rules);
        Assert.Equal("all links pass", network.Describe());
    }

    [Fact]
    public void EveryChange_CompletesTheChangeSignal()
    {
        var network = WithBrokers(1);
        var before = network.Changed;

        network.Set(FaultEndpoint.Clients, FaultEndpoint.Broker(1), LinkRule.Delayed(TimeSpan.FromMilliseconds(5)));

        Assert.True(before.IsCompleted);
        Assert.False(network.Changed.IsCompleted);
    }

    private static FaultNetwork WithBrokers(params int[] nodeIds)
    {
        var network = new FaultNetwork();
        foreach (var nodeId in nodeIds)
        {
            network.AddBroker(nodeId);
        }

        return network;
    }
}
