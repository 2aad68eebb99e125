namespace Wharf.Client.Tests;

/// <summary>Configurations pointing at 127.0.0.1:1, where nothing listens, so no test needs a broker.</summary>
internal static class NoBroker
{
    public const string Bootstrap = "127.0.0.1:1";

    public static ShareConsumerConfig Config(ShareAcknowledgementMode? mode = null) => new ShareConsumerConfig
    {
        BootstrapServers = Bootstrap,
        GroupId = "wharf-client-tests",
        AcknowledgementMode = mode,
    }
        // Connection-refused errors are expected here; keep them out of the test output.
        .Set("log_level", "2");

    public static ShareConsumer Consumer(ShareAcknowledgementMode? mode = null) => new(Config(mode));
}
