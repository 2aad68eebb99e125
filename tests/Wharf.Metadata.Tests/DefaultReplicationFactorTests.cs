using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>
/// Replication factors left unset are 3 capped at the live brokers (1 on a single node); set explicitly they are used
/// as is, and more than the live brokers is INVALID_REPLICATION_FACTOR.
/// </summary>
public class DefaultReplicationFactorTests
{
    private static Controller ControllerOver(int brokers, IEnumerable<int>? fenced = null, params (string Key, string Value)[] config) =>
        SeededController.Start(brokers, [], fenced, brokerConfig: config).Controller;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 3)]
    public async Task CreateTopics_WithoutAFactor_AndDefaultUnset_GetsThreeCappedAtTheLiveBrokers(int brokers, int expected)
    {
        var controller = ControllerOver(brokers);

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("spread", 2)], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(expected, result.ReplicationFactor);
        Assert.All(controller.Current.TopicsByName["spread"].Partitions.Values, p => Assert.Equal(expected, p.Replicas.Length));
    }

    [Fact]
    public async Task CreateTopics_WithoutAFactor_CountsOnlyLiveBrokers()
    {
        var controller = ControllerOver(4, fenced: [2, 3]);

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("spread", 1)], false, default));

        Assert.Equal(2, result.ReplicationFactor);
    }

    [Fact]
    public async Task CreateTopics_WithoutAFactor_BeforeAnyBrokerRegistered_GetsOne()
    {
        var controller = new Controller(new InMemoryMetadataLog(), MetadataImage.Empty("cluster", 1, 1), TestConfigs.Broker());

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("single")], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(1, result.ReplicationFactor);
    }

    [Fact]
    public async Task CreateTopics_WithAnExplicitDefaultAboveTheLiveBrokers_IsInvalidReplicationFactor()
    {
        var controller = ControllerOver(2, config: ("default.replication.factor", "3"));

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("too-many")], false, default));

        Assert.Equal(ErrorCode.InvalidReplicationFactor, result.Error);
    }

    [Fact]
    public async Task CreateTopics_WithAnExplicitDefault_UsesIt()
    {
        var controller = ControllerOver(5, config: ("default.replication.factor", "1"));

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("one")], false, default));

        Assert.Equal(1, result.ReplicationFactor);
    }

    [Theory]
    [InlineData("offsets.topic.replication.factor")]
    [InlineData("transaction.state.log.replication.factor")]
    public void InternalTopicFactor_IsThreeCappedAtTheLiveBrokers_UnlessSet(string key)
    {
        var twoBrokers = ControllerOver(2).Current;
        var fiveBrokers = ControllerOver(5).Current;

        Assert.Equal(2, DefaultReplicationFactor.For(TestConfigs.Broker(), key, twoBrokers));
        Assert.Equal(3, DefaultReplicationFactor.For(TestConfigs.Broker(), key, fiveBrokers));
        Assert.Equal(1, DefaultReplicationFactor.For(TestConfigs.Broker(), key, MetadataImage.Empty("cluster", 1, 1)));
        Assert.Equal(4, DefaultReplicationFactor.For(TestConfigs.Broker((key, "4")), key, twoBrokers));
    }
}
