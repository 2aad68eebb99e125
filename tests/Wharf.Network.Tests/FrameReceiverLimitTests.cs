using System.Net.Sockets;

namespace Wharf.Network.Tests;

/// <summary>Bad size prefixes are refused before any body is read; a peer that goes away yields null.</summary>
public sealed class FrameReceiverLimitTests
{
    private const int Limit = 1000;

    [Theory]
    [InlineData(-1)]
    [InlineData(-16)]
    [InlineData(int.MinValue)]
    [InlineData(Limit + 1)]
    [InlineData(int.MaxValue)]
    public async Task SizeNegativeOrAboveTheLimit_ThrowsCloseConnection_WithoutWaitingForTheBody(int size)
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);

        // Only the prefix is ever sent: the receiver must decide on it alone.
        await pair.Client.SendAllAsync(Frames.Prefix(size));

        await Assert.ThrowsAsync<CloseConnectionException>(() => receiver.NextAsync());
    }

    [Fact]
    public async Task SizeAtTheLimit_IsAccepted()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        var body = Frames.Payload(Limit, 7);

        await pair.Client.SendAllAsync(Frames.Prefixed(body));

        Assert.Equal(body, await receiver.NextBytesAsync());
    }

    [Fact]
    public async Task PeerClosingBeforeAnyFrame_ReturnsNull()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);

        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Null(await receiver.NextAsync());
    }

    [Fact]
    public async Task PeerClosingAtAFrameBoundary_ReturnsTheFrameThenNull()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        var body = Frames.Payload(10, 1);

        await pair.Client.SendAllAsync(Frames.Prefixed(body));
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(body, await receiver.NextBytesAsync());
        Assert.Null(await receiver.NextAsync());
    }

    [Theory]
    [InlineData(100, 2)] // inside the size prefix
    [InlineData(100, 54)] // inside a small body (read-ahead path)
    [InlineData(100_000, 50_004)] // inside a large body (received straight into the frame)
    public async Task PeerClosingMidFrame_ReturnsNull(int size, int sentBytes)
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, 1024 * 1024);
        var framed = Frames.Prefixed(Frames.Payload(size, 3));

        var pending = receiver.NextAsync();
        await pair.Client.SendAllAsync(framed.AsMemory(0, sentBytes));
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Null(await pending);
    }
}
