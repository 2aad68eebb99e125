using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wharf.Metadata;
using Wharf.Protocol;
using Wharf.Protocol.Messages;
using Wharf.Records;
using Wharf.TestKit;
using Wharf.Testing;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests.Infrastructure;

/// <summary>
/// A broker fronted by a <see cref="CapturingProxy"/>: the broker advertises the proxy, so every request a real
/// client sends passes through it. On dispose every captured frame must decode with our codec and re-encode to
/// the same bytes — so each compat test is also a golden test of that client's requests.
/// </summary>
public sealed class CompatBroker : IAsyncDisposable
{
    private readonly WharfBroker _broker;
    private readonly CapturingProxy _proxy;
    private readonly ITestOutputHelper _output;

    private CompatBroker(WharfBroker broker, CapturingProxy proxy, ITestOutputHelper output)
    {
        _broker = broker;
        _proxy = proxy;
        _output = output;
    }

    /// <summary>The proxy's address: what clients bootstrap from and are told to use.</summary>
    public string BootstrapServers => $"127.0.0.1:{_proxy.Port}";

    public Controller Controller => _broker.Controller;

    /// <summary>The API and version of every request the proxy has passed so far, in arrival order per connection.</summary>
    public IReadOnlyList<(ApiKey Api, short Version)> RequestVersions =>
        [.. _proxy.Requests.Where(f => f.Length >= 4).Select(f => ((ApiKey)BinaryPrimitives.ReadInt16BigEndian(f), BinaryPrimitives.ReadInt16BigEndian(f.AsSpan(2))))];

    /// <summary>The codec of every record batch the clients sent in Produce requests so far (as sent, before the broker).</summary>
    public IReadOnlyList<CompressionType> ProducedCodecs() =>
        [.. _proxy.Requests
            .Where(f => f.Length >= 4 && (ApiKey)BinaryPrimitives.ReadInt16BigEndian(f) == ApiKey.Produce)
            .Select(f => (ProduceRequest)RequestDecoder.Decode(new ReadOnlySequence<byte>(f)).Body)
            .SelectMany(r => r.TopicData.SelectMany(t => t.PartitionData))
            .Where(p => p.Records is { Length: >= RecordBatchLayout.HeaderSize })
            .Select(p => RecordBatchHeader.Read(p.Records!.Value.ToArray()).Compression)];

    public static async Task<CompatBroker> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var proxy = new CapturingProxy();
        var port = FreePort();
        var effective = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{port}",
            ["advertised.listeners"] = $"PLAINTEXT://127.0.0.1:{proxy.Port}",
        };
        proxy.Target = $"127.0.0.1:{port}";
        var broker = await WharfBroker.StartAsync(effective, loggerFactory);
        return new CompatBroker(broker, proxy, output);
    }

    public Task CreateTopicAsync(string name, int partitions = 1) => _broker.CreateTopicAsync(name, partitions);

    public Task RestartAsync() => _broker.RestartAsync();

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _broker.DisposeAsync();
        var (failures, apis, checkedCount) = GoldenFrames.Check(_proxy.Requests);
        _output.WriteLine($"golden: {checkedCount} request frames re-encoded ({string.Join(", ", apis.Order())}), {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(checkedCount > 0, "no request passed through the capturing proxy");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
