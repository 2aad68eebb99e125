using Confluent.Kafka;

namespace Wharf.Cluster.Tests;

public sealed class LibrdkafkaTests
{
    [Fact]
    public void BundledLibrdkafka_IsTheOneLoaded()
    {
        // Guards the build step that swaps in the self-contained librdkafka: without it Debian's 2.0.2 (or nothing) loads.
        Assert.Equal("2.16.0", Library.VersionString);
    }
}
