using System.Net.Sockets;
using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>Disposing the listener stops accepting, closes every open connection and completes.</summary>
public sealed class KafkaListenerShutdownTests
{
    [Theory]
    [InlineData(ApiKey.Metadata)]
    [InlineData(ApiKey.Produce)]
    public async Task DisposeAsync_ClosesIdleAndBusyConnections_CancelsTheRequestInProgress_AndCompletes(ApiKey busyApi)
    {
        var processor = new ScriptedProcessor();
        var listener = Exchange.Listen(processor);
        var endPoint = listener.LocalEndPoint;
        using var idle = await Loopback.ConnectAsync(endPoint);
        await Exchange.RoundTripAsync(idle, 1);
        using var busy = await Loopback.ConnectAsync(endPoint);
        processor.Hold(2);
        await Exchange.SendAsync(busy, busyApi, 2);
        await processor.WhenStarted(2);

        await listener.DisposeAsync().AsTask().WaitAsync(Loopback.Timeout);

        Assert.Equal(0, await idle.ReceiveUntilClosedAsync());
        Assert.Equal(0, await busy.ReceiveUntilClosedAsync());
        Assert.Equal(1, processor.Cancelled);
        await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(endPoint));
    }

    [Fact]
    public async Task DisposeAsync_Twice_IsSafe()
    {
        var listener = Exchange.Listen(new ScriptedProcessor());

        await listener.DisposeAsync();
        await listener.DisposeAsync();
    }
}
