using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.TestKit;

/// <summary>A bare TCP connection that speaks the protocol through our codec, or sends raw bytes, for edge cases.</summary>
public sealed class RawKafkaConnection : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;
    private int _correlationId;

    public static async Task<RawKafkaConnection> ConnectAsync(string bootstrap)
    {
        var connection = new RawKafkaConnection();
        var colon = bootstrap.LastIndexOf(':');
        await connection._client.ConnectAsync(bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..]));
        connection._stream = connection._client.GetStream();
        return connection;
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Sends a request and returns its correlation id.</summary>
    public async Task<int> SendAsync(IApiMessage body, short version, ApiKey? keyOverride = null)
    {
        var key = keyOverride ?? body.ApiKey;
        var api = ApiCatalog.Find(body.ApiKey)!;
        var header = new RequestHeader { ApiKey = key, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = "raw-test" };
        var headerVersion = api.RequestHeaderVersion(version);
        var output = new ArrayBufferWriter<byte>();
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), header.ComputeSize(headerVersion) + body.ComputeSize(version));
        output.Advance(4);
        var writer = new KafkaWriter(output);
        header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        writer.Flush();
        await _stream.WriteAsync(output.WrittenMemory);
        return header.CorrelationId;
    }

    /// <summary>Reads one response frame; null when the broker closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        var sizeBytes = new byte[4];
        if (!await ReadExactlyAsync(sizeBytes, cancellationToken))
        {
            return null;
        }

        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(sizeBytes)];
        return await ReadExactlyAsync(frame, cancellationToken) ? frame : null;
    }

    public async Task<T> ReceiveAsync<T>(short version, CancellationToken cancellationToken = default)
        where T : IApiMessage<T>
    {
        var frame = await ReadFrameAsync(cancellationToken) ?? throw new IOException("The broker closed the connection.");
        var api = ApiCatalog.Find(T.Api)!;
        return Decode<T>(frame, api.ResponseHeaderVersion(version), version);
    }

    public static T Decode<T>(byte[] frame, short headerVersion, short version)
        where T : IApiMessage<T>
    {
        var reader = new KafkaReader(frame);
        ResponseHeader.Read(ref reader, headerVersion);
        return T.Read(ref reader, version);
    }

    /// <summary>True when the broker closes the connection (reads until end of stream).</summary>
    public async Task<bool> IsClosedByBrokerAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cancellation.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
