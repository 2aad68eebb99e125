namespace Wharf.Client.Tests;

/// <summary>Creating a share consumer: what is refused, and how clearly.</summary>
public class ShareConsumerConfigurationTests
{
    private const int InvalidArgument = -186;

    [Fact]
    public void Create_WithoutGroupId_ThrowsShareConsumerExceptionNamingGroupId()
    {
        var config = NoBroker.Config();
        config.GroupId = null;

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Equal(InvalidArgument, error.Code);
        Assert.Equal("_INVALID_ARG", error.Error.Name);
        Assert.Contains("group.id is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithAnEmptyGroupId_Throws()
    {
        var config = NoBroker.Config();
        config.GroupId = "";

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Contains("group.id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithAnUnknownProperty_ThrowsShareConsumerExceptionNamingTheProperty()
    {
        var config = NoBroker.Config().Set("no.such.property", "1");

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Equal(InvalidArgument, error.Code);
        Assert.Contains("no.such.property", error.Message, StringComparison.Ordinal);
        Assert.Contains("No such configuration property", error.Error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithAnInvalidValue_ThrowsShareConsumerExceptionNamingTheProperty()
    {
        var config = NoBroker.Config().Set("max.poll.records", "0");

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Contains("max.poll.records", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithAPropertyNotForShareConsumers_ThrowsWithLibrdkafkasReason()
    {
        var config = NoBroker.Config().Set("enable.auto.commit", "false");

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Equal(InvalidArgument, error.Code);
        Assert.Contains("enable.auto.commit", error.Error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Explicit")]
    [InlineData("manual")]
    [InlineData("")]
    public void Create_WithAnAcknowledgementModeLibrdkafkaWouldNotRecognise_Throws(string mode)
    {
        // librdkafka itself stores any string and then behaves as neither mode.
        var config = NoBroker.Config().Set("share.acknowledgement.mode", mode);

        var error = Assert.Throws<ShareConsumerException>(() => new ShareConsumer(config));

        Assert.Equal(InvalidArgument, error.Code);
        Assert.Contains("share.acknowledgement.mode", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ShareAcknowledgementMode.Implicit)]
    [InlineData(ShareAcknowledgementMode.Implicit, ShareAcknowledgementMode.Implicit)]
    [InlineData(ShareAcknowledgementMode.Explicit, ShareAcknowledgementMode.Explicit)]
    public void Create_ReportsTheAcknowledgementMode_ImplicitUnlessSet(ShareAcknowledgementMode? configured, ShareAcknowledgementMode expected)
    {
        using var consumer = NoBroker.Consumer(configured);

        Assert.Equal(expected, consumer.AcknowledgementMode);
    }

    [Fact]
    public void Create_FromPlainPairs_Works()
    {
        using var consumer = new ShareConsumer(
        [
            new("bootstrap.servers", NoBroker.Bootstrap),
            new("group.id", "pairs"),
            new("share.acknowledgement.mode", "explicit"),
            new("log_level", "2"),
        ]);

        Assert.Equal(ShareAcknowledgementMode.Explicit, consumer.AcknowledgementMode);
    }

    [Fact]
    public void Config_TypedProperties_AreLibrdkafkaKeys_AndNullRemovesThem()
    {
        var config = new ShareConsumerConfig
        {
            BootstrapServers = "a:1",
            GroupId = "g",
            ClientId = "c",
            AcknowledgementMode = ShareAcknowledgementMode.Explicit,
            MaxPollRecords = 7,
        };
        config["fetch.wait.max.ms"] = "100";

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["bootstrap.servers"] = "a:1",
                ["group.id"] = "g",
                ["client.id"] = "c",
                ["share.acknowledgement.mode"] = "explicit",
                ["max.poll.records"] = "7",
                ["fetch.wait.max.ms"] = "100",
            },
            config.ToDictionary());

        config.AcknowledgementMode = null;
        config.ClientId = null;
        Assert.Null(config["share.acknowledgement.mode"]);
        Assert.DoesNotContain(config, p => p.Key == "client.id");
    }
}
