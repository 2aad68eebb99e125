using System.Buffers;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.TestKit;
using Wharf.Testing;

namespace Wharf.Integration.Tests;

/// <summary>
/// Golden tests against a real client: every request librdkafka 2.16.0 sends while producing (each codec),
/// consuming and administering decodes with our codec and re-encodes to exactly the same bytes. With
/// WHARF_CAPTURE_GOLDEN=dir set, the frames are also written there (the committed set under
/// tests/Wharf.Protocol.Tests/Golden is made this way).
/// </summary>
public sealed class GoldenRequestTests
{
    [Fact]
    public async Task EveryRequestLibrdkafkaSends_DecodesAndReEncodesByteForByte()
    {
        // The broker advertises the proxy, so every connection the client makes goes through it.
        await using var proxy = new CapturingProxy();
        var port = FreePort();
        await using var broker = await WharfBroker.StartAsync(new Dictionary<string, string>
        {
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
            ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{proxy.Port}",
        });
        proxy.Target = $"127.0.0.1:{port}";
        var bootstrap = $"127.0.0.1:{proxy.Port}";
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "golden", NumPartitions = 2, ReplicationFactor = 1 }]);
        }

        foreach (var codec in new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, CompressionType = codec, Acks = Acks.All }).Build();
            await producer.ProduceAsync("golden", new Message<string, string> { Key = "k", Value = $"v-{codec}-" + string.Concat(Enumerable.Repeat("compressible ", 200)), Headers = [new Header("h", [1, 2])] });
        }

        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "unused" }).Build())
        {
            consumer.Assign(new TopicPartitionOffset("golden", 0, Offset.Beginning));
            consumer.Consume(TimeSpan.FromSeconds(10));
        }

        var frames = proxy.Requests.ToArray();
        var keys = new HashSet<ApiKey>();
        var captureDirectory = Environment.GetEnvironmentVariable("WHARF_CAPTURE_GOLDEN");
        for (var i = 0; i < frames.Length; i++)
        {
            var decoded = RequestDecoder.Decode(new ReadOnlySequence<byte>(frames[i]));
            keys.Add(decoded.Header.ApiKey);
            var output = new ArrayBufferWriter<byte>();
            var writer = new KafkaWriter(output);
            decoded.Header.Write(ref writer, decoded.Api.RequestHeaderVersion(decoded.Header.ApiVersion));
            decoded.Body.Write(ref writer, decoded.Header.ApiVersion);
            writer.Flush();
            Assert.True(frames[i].AsSpan().SequenceEqual(output.WrittenSpan), $"{decoded.Header.ApiKey} v{decoded.Header.ApiVersion} re-encodes differently");
            if (captureDirectory is not null)
            {
                Directory.CreateDirectory(captureDirectory);
                await File.WriteAllBytesAsync(Path.Combine(captureDirectory, $"{i:D3}-{decoded.Header.ApiKey}-v{decoded.Header.ApiVersion}.bin"), frames[i]);
            }
        }

        Assert.Contains(ApiKey.ApiVersions, keys);
        Assert.Contains(ApiKey.Metadata, keys);
        Assert.Contains(ApiKey.CreateTopics, keys);
        Assert.Contains(ApiKey.Produce, keys);
        Assert.Contains(ApiKey.Fetch, keys);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
