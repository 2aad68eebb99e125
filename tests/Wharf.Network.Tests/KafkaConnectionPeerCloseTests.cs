using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>A client that closes its connection cancels that connection's requests in progress, and only those.</summary>
public sealed class KafkaConnectionPeerCloseTests
{
    [Theory]
    [InlineData(ApiKey.Fetch)] // a long poll parked for its max wait
    [InlineData(ApiKey.Produce)] // pipelined: the reader is already waiting for the next frame
    public async Task PeerClosing_CancelsItsRequestInProgress_AndTheOtherConnectionsGoOn(ApiKey api)
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        using var staying = await Loopback.ConnectAsync(listener.LocalEndPoint);
        processor.Hold(2);
        using (var leaving = await Loopback.ConnectAsync(listener.LocalEndPoint))
        {
            await Exchange.SendAsync(leaving, api, 2);
            await processor.WhenStarted(2);
        }

        // The hold is never released: only the close can end the request.
        await processor.WhenFinished(2);
        Assert.Equal(1, processor.Cancelled);
        await Exchange.RoundTripAsync(staying, 3);
        Assert.Equal(1, processor.Cancelled);
    }

    [Fact]
    public async Task PeerClosing_WithARequestQueuedBehindAParkedOne_CancelsTheParkedOne_AndNeverStartsTheQueuedOne()
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        processor.Hold(2);
        using (var leaving = await Loopback.ConnectAsync(listener.LocalEndPoint))
        {
            // As librdkafka closing a consumer: a FindCoordinator queued behind its parked Fetch, then the close.
            await Exchange.SendAsync(leaving, ApiKey.Fetch, 2);
            await processor.WhenStarted(2);
            await Exchange.SendAsync(leaving, ApiKey.FindCoordinator, 3);
        }

        await processor.WhenFinished(2);
        Assert.Equal(1, processor.Cancelled);
        Assert.False(processor.HasStarted(3));
    }
}
