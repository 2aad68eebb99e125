using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Configuration;
using Wharf.Server;
using Wharf.Storage;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>One data directory, one broker: a second broker on it is refused and the first keeps serving.</summary>
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task SecondBrokerOnTheSameDirectory_IsRefused_AndTheFirstKeepsServing()
    {
        await using var first = await WharfBroker.StartAsync();
        var config = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Overrides = [new("listeners", "PLAINTEXT://127.0.0.1:0"), new("http.listeners", "http://127.0.0.1:0"), new("log.dirs", first.DataDirectory)],
        });

        var refused = await Assert.ThrowsAsync<DataDirectoryLockedException>(() => KafkaBroker.StartAsync(config, NullLoggerFactory.Instance));

        Assert.Contains("in use by another broker process", refused.Message, StringComparison.Ordinal);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = first.BootstrapServers }).Build();
        var delivered = await producer.ProduceAsync("still-served", new Message<Null, string> { Value = "v" });
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }
}
