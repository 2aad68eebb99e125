using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>Topic operations of the controller, over an in-memory metadata log.</summary>
public class ControllerTopicTests
{
    private readonly InMemoryMetadataLog _log = new();

    [Fact]
    public async Task CreateTopics_WithDefaults_UsesTheBrokerDefaultsAndPlacesEveryReplicaOnThisNode()
    {
        var controller = NewController(("num.partitions", "3"));

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("orders")], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.NotEqual(Guid.Empty, result.TopicId);
        Assert.Equal(3, result.NumPartitions);
        Assert.Equal(1, result.ReplicationFactor);
        Assert.Equal(ConfigCatalogue.TopicKeys.Count, result.Configs.Count);
        Assert.True(controller.Current.TryGetTopic("orders", out var topic));
        Assert.Equal(result.TopicId, topic.TopicId);
        Assert.All(topic.Partitions.Values, p =>
        {
            Assert.Equal([1], p.Replicas.ToArray());
            Assert.Equal([1], p.Isr.ToArray());
            Assert.Equal(1, p.Leader);
            Assert.Equal(0, p.LeaderEpoch);
        });
        Assert.Equal(_log.CommittedOffset, controller.Current.Offset);
    }

    [Fact]
    public async Task CreateTopics_WithConfigs_StoresThemAsOverrides()
    {
        var controller = NewController();

        var result = Assert.Single(await controller.CreateTopicsAsync(
            [new CreateTopicRequest("orders", 2, 1, [new("retention.ms", "1000"), new("cleanup.policy", " compact ")])], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "1000", ["cleanup.policy"] = "compact" }, controller.Current.GetTopicConfigs("orders"));
        var retention = result.Configs.Single(c => c.Name == "retention.ms");
        Assert.Equal(("1000", KafkaConfigSource.DynamicTopicConfig), (retention.Value, retention.Source));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/topic")]
    [InlineData("ümlaut")]
    public async Task CreateTopics_WithAnIllegalName_IsInvalidTopicException(string name)
    {
        var result = Assert.Single(await NewController().CreateTopicsAsync([new CreateTopicRequest(name)], false, default));

        Assert.Equal(ErrorCode.InvalidTopicException, result.Error);
        Assert.NotNull(result.ErrorMessage);
    }

    [Fact]
    public async Task CreateTopics_WithANameOf249Characters_Succeeds_But250Fail()
    {
        var controller = NewController();

        var results = await controller.CreateTopicsAsync([new CreateTopicRequest(new string('a', 249)), new CreateTopicRequest(new string('b', 250))], false, default);

        Assert.Equal([ErrorCode.None, ErrorCode.InvalidTopicException], results.Select(r => r.Error));
    }

    [Fact]
    public async Task CreateTopics_OfAnExistingTopic_IsTopicAlreadyExists()
    {
        var controller = NewController();
        await controller.CreateTopicsAsync([new CreateTopicRequest("orders")], false, default);

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("orders")], false, default));

        Assert.Equal(ErrorCode.TopicAlreadyExists, result.Error);
    }

    [Fact]
    public async Task CreateTopics_WhoseNameCollidesOnDotAndUnderscore_IsInvalidTopicException()
    {
        var controller = NewController();
        await controller.CreateTopicsAsync([new CreateTopicRequest("a.b")], false, default);

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("a_b")], false, default));

        Assert.Equal(ErrorCode.InvalidTopicException, result.Error);
        Assert.Contains("'a.b'", result.ErrorMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(10_001)]
    public async Task CreateTopics_WithABadPartitionCount_IsInvalidPartitions(int partitions)
    {
        var result = Assert.Single(await NewController().CreateTopicsAsync([new CreateTopicRequest("t", partitions)], false, default));

        Assert.Equal(ErrorCode.InvalidPartitions, result.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task CreateTopics_WithAReplicationFactorThisClusterCannotHave_IsInvalidReplicationFactor(short replicationFactor)
    {
        var result = Assert.Single(await NewController().CreateTopicsAsync([new CreateTopicRequest("t", 1, replicationFactor)], false, default));

        Assert.Equal(ErrorCode.InvalidReplicationFactor, result.Error);
    }

    [Fact]
    public async Task CreateTopics_WithABadConfig_IsInvalidConfigNamingTheKey()
    {
        var results = await NewController().CreateTopicsAsync(
        [
            new CreateTopicRequest("a", Configs: [new("retention.m", "5")]),
            new CreateTopicRequest("b", Configs: [new("retention.ms", "soon")]),
            new CreateTopicRequest("c", Configs: [new("retention.ms", null)]),
        ], false, default);

        Assert.All(results, r => Assert.Equal(ErrorCode.InvalidConfig, r.Error));
        Assert.Contains("did you mean 'retention.ms'", results[0].ErrorMessage);
        Assert.Contains("'retention.ms'", results[1].ErrorMessage);
    }

    [Fact]
    public async Task CreateTopics_ValidateOnly_ChecksButWritesNothing()
    {
        var controller = NewController();

        var results = await controller.CreateTopicsAsync([new CreateTopicRequest("good", 2), new CreateTopicRequest("bad", 0)], true, default);

        Assert.Equal([ErrorCode.None, ErrorCode.InvalidPartitions], results.Select(r => r.Error));
        Assert.Equal(Guid.Empty, results[0].TopicId);
        Assert.Equal(2, results[0].NumPartitions);
        Assert.Empty(controller.Current.TopicsByName);
        Assert.Empty(_log.Batches);
    }

    [Fact]
    public async Task CreateTopics_NamingATopicTwice_RejectsBothAndCreatesTheRest()
    {
        var controller = NewController();

        var results = await controller.CreateTopicsAsync([new CreateTopicRequest("x"), new CreateTopicRequest("y"), new CreateTopicRequest("x")], false, default);

        Assert.Equal([ErrorCode.InvalidRequest, ErrorCode.None, ErrorCode.InvalidRequest], results.Select(r => r.Error));
        Assert.Equal(["y"], controller.Current.TopicsByName.Keys);
    }

    [Fact]
    public async Task CreateTopics_OfSeveralTopics_CommitsOneBatch()
    {
        var controller = NewController();

        await controller.CreateTopicsAsync([new CreateTopicRequest("x", 2), new CreateTopicRequest("y", 3)], false, default);

        var batch = Assert.Single(_log.Batches);
        Assert.Equal(2 + 2 + 3, batch.Records.Count);
    }

    [Fact]
    public async Task CreateTopics_WithReplicaAssignments_UsesThem()
    {
        var controller = NewController();
        var assignments = new Dictionary<int, IReadOnlyList<int>> { [0] = [1], [1] = [1] };

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("t", Assignments: assignments)], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(2, controller.Current.TopicsByName["t"].PartitionCount);
    }

    [Fact]
    public async Task CreateTopics_WithAssignmentsToAnUnknownBrokerOrWithGaps_IsInvalidReplicaAssignment()
    {
        var results = await NewController().CreateTopicsAsync(
        [
            new CreateTopicRequest("a", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [2] }),
            new CreateTopicRequest("b", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1], [2] = [1] }),
            new CreateTopicRequest("c", Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1, 1] }),
        ], false, default);

        Assert.All(results, r => Assert.Equal(ErrorCode.InvalidReplicaAssignment, r.Error));
    }

    [Fact]
    public async Task CreateTopics_WithAssignmentsAndACount_IsInvalidRequest()
    {
        var result = Assert.Single(await NewController().CreateTopicsAsync(
            [new CreateTopicRequest("a", 1, Assignments: new Dictionary<int, IReadOnlyList<int>> { [0] = [1] })], false, default));

        Assert.Equal(ErrorCode.InvalidRequest, result.Error);
    }

    [Fact]
    public async Task CreateTopics_Concurrently_ForTheSameName_ExactlyOneWins()
    {
        var controller = NewController();
        var start = new TaskCompletionSource();

        var attempts = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return (await controller.CreateTopicsAsync([new CreateTopicRequest("contended")], false, default))[0];
        })).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.Error == ErrorCode.None);
        Assert.Equal(15, results.Count(r => r.Error == ErrorCode.TopicAlreadyExists));
        Assert.Single(controller.Current.TopicsByName);
    }

    [Fact]
    public async Task DeleteTopics_ByNameAndById_RemovesThem()
    {
        var controller = NewController();
        var created = await controller.CreateTopicsAsync([new CreateTopicRequest("a"), new CreateTopicRequest("b")], false, default);

        var results = await controller.DeleteTopicsAsync([TopicReference.ByName("a"), TopicReference.ById(created[1].TopicId)], default);

        Assert.All(results, r => Assert.Equal(ErrorCode.None, r.Error));
        Assert.Equal(("b", created[1].TopicId), (results[1].Name, results[1].TopicId));
        Assert.Empty(controller.Current.TopicsByName);
    }

    [Fact]
    public async Task DeleteTopics_OfUnknownTopics_ReportsUnknownTopicOrPartitionAndUnknownTopicId()
    {
        var results = await NewController().DeleteTopicsAsync([TopicReference.ByName("nope"), TopicReference.ById(Guid.NewGuid())], default);

        Assert.Equal([ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicId], results.Select(r => r.Error));
    }

    [Fact]
    public async Task DeleteTopics_OfTheCoordinatorsStateTopics_IsInvalidRequestAndKeepsThem_WhileOthersInTheRequestGo()
    {
        var controller = NewController();
        var created = await controller.CreateTopicsAsync([new CreateTopicRequest("__consumer_offsets"), new CreateTopicRequest("__transaction_state"), new CreateTopicRequest("__mine")], false, default);

        var results = await controller.DeleteTopicsAsync([TopicReference.ByName("__consumer_offsets"), TopicReference.ById(created[1].TopicId), TopicReference.ByName("__mine")], default);

        Assert.Equal([ErrorCode.InvalidRequest, ErrorCode.InvalidRequest, ErrorCode.None], results.Select(r => r.Error));
        Assert.Contains("internal topic", results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("__transaction_state", results[1].Name);
        Assert.Equal(["__consumer_offsets", "__transaction_state"], controller.Current.TopicsByName.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DeleteTopics_WhenDeletionIsDisabled_IsTopicDeletionDisabled()
    {
        var controller = NewController(("delete.topic.enable", "false"));
        await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default);

        var result = Assert.Single(await controller.DeleteTopicsAsync([TopicReference.ByName("a")], default));

        Assert.Equal(ErrorCode.TopicDeletionDisabled, result.Error);
        Assert.True(controller.Current.TryGetTopic("a", out _));
    }

    [Fact]
    public async Task DeleteThenCreate_GivesTheTopicANewIdAndFreshConfigs()
    {
        var controller = NewController();
        var first = (await controller.CreateTopicsAsync([new CreateTopicRequest("t", 3, Configs: [new("retention.ms", "5")])], false, default))[0];
        await controller.DeleteTopicsAsync([TopicReference.ByName("t")], default);

        var second = (await controller.CreateTopicsAsync([new CreateTopicRequest("t", 1)], false, default))[0];

        Assert.Equal(ErrorCode.None, second.Error);
        Assert.NotEqual(first.TopicId, second.TopicId);
        Assert.Equal(1, controller.Current.TopicsByName["t"].PartitionCount);
        Assert.Empty(controller.Current.GetTopicConfigs("t"));
        Assert.False(controller.Current.TryGetTopic(first.TopicId, out _));
    }

    [Fact]
    public async Task CreatePartitions_Increases_ButNeverDecreases()
    {
        var controller = NewController();
        await controller.CreateTopicsAsync([new CreateTopicRequest("t", 2)], false, default);

        var results = await controller.CreatePartitionsAsync(
            [new CreatePartitionsRequest("t", 5)], false, default);
        var shrink = await controller.CreatePartitionsAsync([new CreatePartitionsRequest("t", 3)], false, default);
        var same = await controller.CreatePartitionsAsync([new CreatePartitionsRequest("t", 5)], false, default);
        var unknown = await controller.CreatePartitionsAsync([new CreatePartitionsRequest("nope", 5)], false, default);

        Assert.Equal(ErrorCode.None, results[0].Error);
        Assert.Equal(5, controller.Current.TopicsByName["t"].PartitionCount);
        Assert.Equal(ErrorCode.InvalidPartitions, shrink[0].Error);
        Assert.Equal(ErrorCode.InvalidPartitions, same[0].Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown[0].Error);
    }

    [Fact]
    public async Task CreatePartitions_ValidateOnly_WritesNothing()
    {
        var controller = NewController();
        await controller.CreateTopicsAsync([new CreateTopicRequest("t", 2)], false, default);

        var result = Assert.Single(await controller.CreatePartitionsAsync([new CreatePartitionsRequest("t", 4)], true, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(2, controller.Current.TopicsByName["t"].PartitionCount);
    }

    [Fact]
    public async Task CreatePartitions_WithTheWrongNumberOfAssignments_IsInvalidReplicaAssignment()
    {
        var controller = NewController();
        await controller.CreateTopicsAsync([new CreateTopicRequest("t", 1)], false, default);

        var result = Assert.Single(await controller.CreatePartitionsAsync([new CreatePartitionsRequest("t", 3, [[1]])], false, default));

        Assert.Equal(ErrorCode.InvalidReplicaAssignment, result.Error);
    }

    [Fact]
    public async Task AutoCreateTopic_UsesNumPartitions_AndReturnsAnExistingTopicUnchanged()
    {
        var controller = NewController(("num.partitions", "4"));

        var created = await controller.AutoCreateTopicAsync("auto", default);
        var again = await controller.AutoCreateTopicAsync("auto", default);

        Assert.Equal((ErrorCode.None, 4), (created.Error, created.NumPartitions));
        Assert.Equal((ErrorCode.None, created.TopicId), (again.Error, again.TopicId));
        Assert.Single(_log.Batches);
    }

    [Fact]
    public async Task AutoCreateTopic_WhenDisabled_IsUnknownTopicOrPartition()
    {
        var controller = NewController(("auto.create.topics.enable", "false"));

        var result = await controller.AutoCreateTopicAsync("auto", default);

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, result.Error);
        Assert.Empty(controller.Current.TopicsByName);
    }

    [Fact]
    public async Task EnsureTopic_CreatesAnInternalTopicEvenWhenAutoCreateIsDisabled()
    {
        var controller = NewController(("auto.create.topics.enable", "false"));

        var result = await controller.EnsureTopicAsync(new CreateTopicRequest("__consumer_offsets", 50, 1, [new("cleanup.policy", "compact")]), default);

        Assert.Equal((ErrorCode.None, 50), (result.Error, result.NumPartitions));
        Assert.True(controller.Current.TopicsByName["__consumer_offsets"].IsInternal);
    }

    [Fact]
    public async Task ImageChanged_IsRaisedAfterEachCommitWithTheImagesBeforeAndAfter()
    {
        var controller = NewController();
        var changes = new List<(MetadataImage Before, MetadataImage After)>();
        controller.ImageChanged += (before, after) => changes.Add((before, after));

        await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default);
        await controller.DeleteTopicsAsync([TopicReference.ByName("a")], default);
        await controller.CreateTopicsAsync([new CreateTopicRequest("a")], true, default);

        Assert.Equal(2, changes.Count);
        Assert.False(changes[0].Before.TryGetTopic("a", out _));
        Assert.True(changes[0].After.TryGetTopic("a", out _));
        Assert.Same(changes[0].After, changes[1].Before);
        Assert.False(changes[1].After.TryGetTopic("a", out _));
    }

    [Fact]
    public async Task ImageChanged_WhenAHandlerThrows_StillCommits()
    {
        var controller = NewController();
        controller.ImageChanged += (_, _) => throw new InvalidOperationException("listener bug");

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default));

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.True(controller.Current.TryGetTopic("a", out _));
    }

    [Fact]
    public async Task CreateTopics_WhenTheAppendFails_ReportsAnErrorAndLeavesTheImageUnchanged()
    {
        var controller = NewController();
        _log.FailNextAppend = true;

        var result = Assert.Single(await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default));

        Assert.Equal(ErrorCode.UnknownServerError, result.Error);
        Assert.Empty(controller.Current.TopicsByName);
        Assert.Equal(ErrorCode.None, (await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default))[0].Error);
    }

    [Fact]
    public async Task Operations_AfterLeadershipMovedAway_AreNotController()
    {
        var controller = NewController();
        _log.Leadership = new MetadataLeadership(2, 2);

        var created = await controller.CreateTopicsAsync([new CreateTopicRequest("a")], false, default);
        var deleted = await controller.DeleteTopicsAsync([TopicReference.ByName("a")], default);
        var ids = await controller.AllocateProducerIdBlockAsync(1, -1, default);

        Assert.Equal(ErrorCode.NotController, created[0].Error);
        Assert.Equal(ErrorCode.NotController, deleted[0].Error);
        Assert.Equal(ErrorCode.NotController, ids.Error);
        Assert.False(controller.IsActive);
    }

    [Fact]
    public async Task AllocateProducerIdBlock_HandsOutConsecutiveNonOverlappingBlocks()
    {
        var controller = NewController();

        var first = await controller.AllocateProducerIdBlockAsync(1, -1, default);
        var second = await controller.AllocateProducerIdBlockAsync(1, -1, default);

        Assert.Equal((0L, 999L), (first.Block.FirstProducerId, first.Block.LastProducerId));
        Assert.Equal(1000L, second.Block.FirstProducerId);
        Assert.Equal(2000L, controller.Current.NextProducerId);
    }

    private Controller NewController(params (string Key, string Value)[] overrides) =>
        new(_log, MetadataImage.Empty("test-cluster", 1, 1), TestConfigs.Broker(overrides), new ControllerOptions { SnapshotEveryRecords = 0 });
}
