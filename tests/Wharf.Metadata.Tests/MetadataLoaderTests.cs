using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata.Tests;

/// <summary>The single-node startup path over a real data directory: restarts, torn tails, identity checks.</summary>
public sealed class MetadataLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string MetadataLogPath => Path.Combine(_dir.Path, "metadata", EmbeddedMetadataLog.LogFileName);

    [Fact]
    public async Task FirstStart_CreatesMetaPropertiesWithANewClusterId_AndRegistersThisNode()
    {
        await using var controller = await Open();

        var meta = MetaProperties.Read(_dir.Path)!;
        Assert.Equal(1, meta.NodeId);
        Assert.Equal(22, meta.ClusterId.Length);
        Assert.Equal(meta.ClusterId, controller.Current.ClusterId);
        Assert.Equal([new Listener("PLAINTEXT", "127.0.0.1", 9092)], controller.Current.LocalBroker!.Endpoints.ToArray());
        Assert.Equal(1, controller.Current.ControllerId);
    }

    [Fact]
    public async Task Restart_ReusesTheClusterId_AndDoesNotReRegisterUnchangedEndpoints()
    {
        string clusterId;
        long offset;
        await using (var controller = await Open())
        {
            clusterId = controller.Current.ClusterId;
            offset = controller.Current.Offset;
        }

        await using var restarted = await Open();

        Assert.Equal(clusterId, restarted.Current.ClusterId);
        Assert.Equal(offset, restarted.Current.Offset);
    }

    [Fact]
    public async Task Restart_WithNewAdvertisedListeners_RegistersThem()
    {
        await (await Open()).DisposeAsync();

        await using var restarted = await Open(("advertised.listeners", "PLAINTEXT://broker.example:9092"));

        Assert.Equal("broker.example", restarted.Current.LocalBroker!.Endpoints[0].Host);
    }

    [Fact]
    public async Task Start_WithAnotherNodeId_FailsNamingBothIds()
    {
        await (await Open()).DisposeAsync();

        var error = await Assert.ThrowsAsync<MetaPropertiesException>(() => Open(("node.id", "2")));

        Assert.Contains("node.id 2", error.Message);
        Assert.Contains("node.id 1", error.Message);
    }

    [Fact]
    public async Task Start_WithAConfiguredClusterIdThatDiffers_Fails()
    {
        await (await Open()).DisposeAsync();

        await Assert.ThrowsAsync<MetaPropertiesException>(() => Open(("cluster.id", "someOtherCluster")));
    }

    [Fact]
    public async Task FirstStart_WithAConfiguredClusterId_UsesIt()
    {
        await using var controller = await Open(("cluster.id", "myCluster-1"));

        Assert.Equal("myCluster-1", controller.Current.ClusterId);
    }

    [Fact]
    public async Task TopicsAndConfigs_SurviveARestart()
    {
        Guid ordersId;
        await using (var controller = await Open())
        {
            var created = await controller.CreateTopicsAsync([new CreateTopicRequest("orders", 3, Configs: [new("retention.ms", "1000")])], false, default);
            ordersId = created[0].TopicId;
            await controller.CreateTopicsAsync([new CreateTopicRequest("gone")], false, default);
            await controller.IncrementalAlterConfigsAsync(
                [new IncrementalAlterConfigsResource(ConfigResourceType.Topic, "orders", [new AlterableConfig("cleanup.policy", AlterConfigOperation.Set, "compact")])], false, default);
            await controller.DeleteTopicsAsync([TopicReference.ByName("gone")], default);
            await controller.CreatePartitionsAsync([new CreatePartitionsRequest("orders", 5)], false, default);
        }

        await using var restarted = await Open();

        Assert.Equal(["orders"], restarted.Current.TopicsByName.Keys);
        Assert.Equal(ordersId, restarted.Current.TopicsByName["orders"].TopicId);
        Assert.Equal(5, restarted.Current.TopicsByName["orders"].PartitionCount);
        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "1000", ["cleanup.policy"] = "compact" }, restarted.Current.GetTopicConfigs("orders"));
    }

    [Fact]
    public async Task DeleteAndRecreate_SurvivesARestartWithTheNewId()
    {
        Guid secondId;
        await using (var controller = await Open())
        {
            await controller.CreateTopicsAsync([new CreateTopicRequest("t", 2)], false, default);
            await controller.DeleteTopicsAsync([TopicReference.ByName("t")], default);
            secondId = (await controller.CreateTopicsAsync([new CreateTopicRequest("t", 1)], false, default))[0].TopicId;
        }

        await using var restarted = await Open();

        Assert.Equal(secondId, restarted.Current.TopicsByName["t"].TopicId);
        Assert.Equal(1, restarted.Current.TopicsByName["t"].PartitionCount);
    }

    [Fact]
    public async Task Restart_AfterATornLastAppend_KeepsEverythingBeforeIt()
    {
        await using (var controller = await Open())
        {
            await controller.CreateTopicsAsync([new CreateTopicRequest("kept")], false, default);
            await controller.CreateTopicsAsync([new CreateTopicRequest("torn")], false, default);
        }

        using (var file = new FileStream(MetadataLogPath, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        await using var restarted = await Open();

        Assert.Equal(["kept"], restarted.Current.TopicsByName.Keys);
        var again = await restarted.CreateTopicsAsync([new CreateTopicRequest("torn")], false, default);
        Assert.Equal(ErrorCode.None, again[0].Error);
    }

    [Fact]
    public async Task ProducerIdBlocks_NeverRepeatAcrossRestarts()
    {
        var blocks = new List<ProducerIdBlock>();
        for (var restart = 0; restart < 3; restart++)
        {
            await using var controller = await Open();
            for (var i = 0; i < 2; i++)
            {
                var result = await controller.AllocateProducerIdBlockAsync(1, -1, default);
                Assert.Equal(ErrorCode.None, result.Error);
                blocks.Add(result.Block);
            }
        }

        var ranges = blocks.OrderBy(b => b.FirstProducerId).ToList();
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].FirstProducerId > ranges[i - 1].LastProducerId, $"block {i} overlaps the one before it");
        }
    }

    [Fact]
    public async Task Snapshots_CompactTheLog_AndRestartRebuildsTheSameImage()
    {
        var options = new ControllerOptions { SnapshotEveryRecords = 5 };
        IReadOnlyList<MetadataRecord> expected;
        await using (var controller = await Open(options))
        {
            for (var i = 0; i < 10; i++)
            {
                await controller.CreateTopicsAsync([new CreateTopicRequest($"t{i}", 2, Configs: [new("retention.ms", $"{i + 1}")])], false, default);
            }

            await controller.DeleteTopicsAsync([TopicReference.ByName("t3")], default);
            await controller.AllocateProducerIdBlockAsync(1, -1, default);
            expected = controller.Current.ToRecords();
        }

        Assert.Single(Directory.GetFiles(Path.Combine(_dir.Path, "metadata"), "*.snapshot"));
        await using var restarted = await Open(options);

        Assert.Equal(expected, restarted.Current.ToRecords());
        Assert.Equal(1000, (await restarted.AllocateProducerIdBlockAsync(1, -1, default)).Block.FirstProducerId);
    }

    private Task<Controller> Open(params (string Key, string Value)[] overrides) => Open(null, overrides);

    private Task<Controller> Open(ControllerOptions? options, params (string Key, string Value)[] overrides) =>
        MetadataLoader.OpenEmbeddedAsync(TestConfigs.Broker([("log.dirs", _dir.Path), .. overrides]), options);
}
