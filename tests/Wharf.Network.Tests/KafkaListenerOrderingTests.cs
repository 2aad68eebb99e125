using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>
/// Responses leave in request order. Produce is pipelined (the next request starts before it completes); every other
/// API runs one request at a time per connection.
/// </summary>
public sealed class KafkaListenerOrderingTests
{
    [Fact]
    public async Task PipelinedProduce_CompletingAfterTheNextRequest_IsStillAnsweredFirst()
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var produce = processor.Hold(1);

        await client.SendAllAsync(Frames.Concat(Exchange.Request(ApiKey.Produce, 1), Exchange.Request(ApiKey.Metadata, 2)));
        await processor.WhenFinished(2);
        var firstResponse = Exchange.ExpectResponseAsync(client, 1);
        Assert.False(firstResponse.IsCompleted, "a response was sent while the first request was still in progress");
        produce.SetResult();

        await firstResponse;
        await Exchange.ExpectResponseAsync(client, 2);
        Assert.Equal([2, 1], processor.FinishOrder);
    }

    [Fact]
    public async Task PipelinedProduces_CompletingInReverse_AreAnsweredInRequestOrder()
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var ids = Enumerable.Range(1, 5).ToArray();
        var holds = ids.Select(processor.Hold).ToArray();

        await client.SendAllAsync(Frames.Concat([.. ids.Select(id => Exchange.Request(ApiKey.Produce, id))]));
        await Task.WhenAll(ids.Select(processor.WhenStarted));
        foreach (var id in ids.Reverse())
        {
            holds[id - 1].SetResult();
            await processor.WhenFinished(id);
        }

        foreach (var id in ids)
        {
            await Exchange.ExpectResponseAsync(client, id);
        }

        Assert.Equal(ids.Reverse(), processor.FinishOrder);
    }

    [Fact]
    public async Task NonPipelinedRequest_IsNotStartedUntilThePreviousOneCompletes()
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        using var other = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var first = processor.Hold(11);

        // One send: the second frame is already in the receiver's read-ahead buffer when the first starts.
        await client.SendAllAsync(Frames.Concat(Exchange.Request(ApiKey.Metadata, 11), Exchange.Request(ApiKey.Metadata, 12)));
        await processor.WhenStarted(11);
        await Exchange.RoundTripAsync(other, 13);
        Assert.False(processor.HasStarted(12), "request 12 started while request 11 was in progress");
        first.SetResult();

        await Exchange.ExpectResponseAsync(client, 11);
        await Exchange.ExpectResponseAsync(client, 12);
        Assert.Equal([13, 11, 12], processor.FinishOrder);
    }

    [Fact]
    public async Task MoreRequestsThanTheReaderTakesAhead_QueuedBehindOneInProgress_AreAllAnsweredInOrder()
    {
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor);
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var first = processor.Hold(20);
        await Exchange.SendAsync(client, ApiKey.Fetch, 20);
        await processor.WhenStarted(20);

        // Ten behind it, sent one by one: the reader takes a few ahead, the rest wait in the socket.
        var queued = Enumerable.Range(21, 10).ToList();
        foreach (var id in queued)
        {
            await Exchange.SendAsync(client, ApiKey.Metadata, id);
        }

        Assert.DoesNotContain(queued, processor.HasStarted);
        first.SetResult();

        foreach (var id in queued.Prepend(20))
        {
            await Exchange.ExpectResponseAsync(client, id);
        }

        Assert.Equal(queued.Prepend(20), processor.FinishOrder);
    }
}
