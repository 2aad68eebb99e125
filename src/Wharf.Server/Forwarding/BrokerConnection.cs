using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Server.Forwarding;

/// <summary>
/// One TCP connection from this broker to another, speaking the Kafka protocol as a client (to forward admin requests
/// to the active controller). One request at a time: the caller awaits each response before the next request, so
/// correlation ids only guard against a confused peer. A response frame larger than <see cref="MaxResponseBytes"/>, a
/// mismatched correlation id or a closed socket fail the call and leave the connection unusable (dispose it).
/// Thread-safety: calls are serialised by a semaphore.
/// </summary>
public sealed class BrokerConnection : IAsyncDisposable
{
    private const int MaxResponseBytes = 64 * 1024 * 1024;
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _clientId;
    private int _correlationId;

    private BrokerConnection(TcpClient client, string clientId)
    {
        _client = client;
        _stream = client.GetStream();
        _clientId = clientId;
    }

    public static async Task<BrokerConnection> ConnectAsync(string host, int port, string clientId, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new BrokerConnection(client, clientId);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> and returns the decoded response.</summary>
    /// <exception cref="IOException">the connection failed or the peer answered something unreadable.</exception>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IRequestMessage, IApiMessage<TRequest>
        where TResponse : IApiMessage<TResponse>
    {
        var api = ApiCatalog.Find(TRequest.Api) ?? throw new InvalidOperationException($"No codec for {TRequest.Api}.");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var correlationId = ++_correlationId;
            var header = new RequestHeader { ApiKey = TRequest.Api, ApiVersion = version, CorrelationId = correlationId, ClientId = _clientId };
            var body = new ArrayBufferWriter<byte>();
            body.Write(stackalloc byte[4]);
            var writer = new KafkaWriter(body);
            header.Write(ref writer, api.RequestHeaderVersion(version));
            request.Write(ref writer, version);
            writer.Flush();
            var frame = body.WrittenMemory.ToArray();
            BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);

            var size = new byte[4];
            await _stream.ReadExactlyAsync(size, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32BigEndian(size);
            if (length is < 4 or > MaxResponseBytes)
            {
                throw new IOException($"The broker answered a frame of {length} bytes.");
            }

            // Filled whole by the read below: no need to zero it first (replication answers are megabytes each).
            var response = GC.AllocateUninitializedArray<byte>(length);
            await _stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
            var reader = new KafkaReader(response);
            var responseHeader = ResponseHeader.Read(ref reader, api.ResponseHeaderVersion(version));
            if (responseHeader.CorrelationId != correlationId)
            {
                throw new IOException($"The broker answered correlation id {responseHeader.CorrelationId} to request {correlationId}.");
            }

            return TResponse.Read(ref reader, version);
        }
        catch (EndOfStreamException e)
        {
            throw new IOException("The broker closed the connection.", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// False once the peer has closed the connection (an idle broker closes it after <c>connections.max.idle.ms</c>) or
    /// it failed: checked without blocking before an idle connection is reused, so a request is not lost on it.
    /// </summary>
    public bool IsOpen
    {
        get
        {
            try
            {
                var socket = _client.Client;
                return socket.Connected && !(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
