using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>Starting a listener on a free loopback port, and request/response checks against <see cref="ScriptedProcessor"/>.</summary>
internal static class Exchange
{
    public static KafkaListener Listen(IRequestProcessor processor, NetworkOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        KafkaListener.Start(new IPEndPoint(IPAddress.Loopback, 0), processor, options ?? new NetworkOptions(), loggerFactory ?? NullLoggerFactory.Instance);

    /// <summary>What a request with this correlation id carries after its header, and its echo carries back.</summary>
    public static byte[] PayloadOf(int correlationId) => Frames.Payload(10 + correlationId % 50, correlationId);

    public static byte[] Request(ApiKey key, int correlationId) => Frames.Request(key, correlationId, PayloadOf(correlationId));

    public static Task SendAsync(Socket client, ApiKey key, int correlationId) => client.SendAllAsync(Request(key, correlationId));

    /// <summary>Reads the next response and checks it answers <paramref name="correlationId"/> with its echo.</summary>
    public static async Task ExpectResponseAsync(Socket client, int correlationId)
    {
        var frame = await client.ReadFrameAsync() ?? throw new InvalidOperationException($"closed while waiting for response {correlationId}");
        Assert.Equal(correlationId, BinaryPrimitives.ReadInt32BigEndian(frame));
        Assert.Equal(PayloadOf(correlationId), frame[4..]);
    }

    public static async Task RoundTripAsync(Socket client, int correlationId)
    {
        await SendAsync(client, ApiKey.Metadata, correlationId);
        await ExpectResponseAsync(client, correlationId);
    }
}
