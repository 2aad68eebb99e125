using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;
using Wharf.Server.Forwarding;

namespace Wharf.Server.Tests;

/// <summary>
/// <see cref="BrokerConnectionPool"/> against a scripted peer on loopback: idle connections are reused, one the peer
/// closed meanwhile (as a broker closes idle connections) is replaced before a request is lost on it, and every way of
/// not reaching a broker is an <see cref="IOException"/>.
/// </summary>
public sealed class BrokerConnectionPoolTests : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _accepted;

    public BrokerConnectionPoolTests() => _listener.Start();

    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task SendAsync_ReusesAnIdleConnection_AndReplacesOneThePeerClosed()
    {
        await using var pool = Pool(((IPEndPoint)_listener.LocalEndpoint).Port);
        var peer = ServeAsync(requestsPerConnection: [2, 1]);

        await SendAsync(pool);
        await SendAsync(pool);
        await WaitForAsync(peer.FirstClosed); // the peer closed the idle connection after its second answer
        await SendAsync(pool);

        Assert.Equal(2, Volatile.Read(ref _accepted));
        await peer.Done;
    }

    [Fact]
    public async Task SendAsync_ToAnUnregisteredOrUnreachableBroker_IsAnIOException()
    {
        int port;
        using (var closed = new TcpListener(IPAddress.Loopback, 0))
        {
            closed.Start();
            port = ((IPEndPoint)closed.LocalEndpoint).Port;
        }

        await using var pool = Pool(port);

        await Assert.ThrowsAsync<IOException>(() => pool.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(9, new ApiVersionsRequest(), 0, default));
        await Assert.ThrowsAsync<IOException>(() => SendAsync(pool));
    }

    private static BrokerConnectionPool Pool(int port)
    {
        var image = MetadataImage.Empty("test-cluster", 1, 1).Apply(new RegisterBrokerRecord(2, Guid.NewGuid(), [new Listener("PLAINTEXT", "127.0.0.1", port)], null));
        return new BrokerConnectionPool(() => image, "PLAINTEXT", "pool-test");
    }

    private static Task<ApiVersionsResponse> SendAsync(BrokerConnectionPool pool) =>
        pool.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(2, new ApiVersionsRequest(), 0, default);

    private static async Task WaitForAsync(Task task) => await task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Accepts one connection per entry, answers that many ApiVersions v0 requests on it, then closes it.</summary>
    private (Task FirstClosed, Task Done) ServeAsync(int[] requestsPerConnection)
    {
        var firstClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Serve()
        {
            foreach (var requests in requestsPerConnection)
            {
                using var client = await _listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref _accepted);
                var stream = client.GetStream();
                for (var i = 0; i < requests; i++)
                {
                    var size = new byte[4];
                    await stream.ReadExactlyAsync(size);
                    var request = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
                    await stream.ReadExactlyAsync(request);
                    var reader = new KafkaReader(request);
                    var header = RequestHeader.Read(ref reader, 1);
                    await stream.WriteAsync(Answer(header.CorrelationId));
                }

                client.Client.Shutdown(SocketShutdown.Both);
                firstClosed.TrySetResult();
            }
        }

        return (firstClosed.Task, Serve().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static byte[] Answer(int correlationId)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[4]);
        var writer = new KafkaWriter(output);
        new ResponseHeader { CorrelationId = correlationId }.Write(ref writer, 0);
        new ApiVersionsResponse().Write(ref writer, 0);
        writer.Flush();
        var frame = output.WrittenMemory.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }
}
