namespace Wharf.Network.Tests;

/// <summary>Frames come off a real loopback socket whole and exact, however the bytes are split across sends.</summary>
public sealed class FrameReceiverTests
{
    private const int Limit = 100 * 1024 * 1024;

    [Fact]
    public async Task SeveralSmallFramesInOneSend_ComeOutAsSeparateFrames_WithExactBytes()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        byte[][] bodies = [Frames.Payload(1, 1), Frames.Payload(7, 2), Frames.Payload(300, 3), Frames.Payload(4000, 4), Frames.Payload(13, 5)];

        await pair.Client.SendAllAsync(Frames.Concat([.. bodies.Select(b => Frames.Prefixed(b))]));

        foreach (var body in bodies)
        {
            Assert.Equal(body, await receiver.NextBytesAsync());
        }
    }

    [Fact]
    public async Task FramesStraddlingTheReadAheadBuffer_AreReassembled()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        // First send: exactly one read-ahead buffer, ending 2 bytes into the second frame's size prefix.
        var first = Frames.Payload(FrameReceiver.ReadAheadBytes - 6, 1);
        var second = Frames.Payload(100, 2);
        var third = Frames.Payload(FrameReceiver.ReadAheadBytes + 3000, 3);
        var stream = Frames.Concat(Frames.Prefixed(first), Frames.Prefixed(second), Frames.Prefixed(third));
        await pair.Client.SendAllAsync(stream.AsMemory(0, FrameReceiver.ReadAheadBytes));

        Assert.Equal(first, await receiver.NextBytesAsync());
        var pending = receiver.NextBytesAsync();
        await pair.Client.SendAllAsync(stream.AsMemory(FrameReceiver.ReadAheadBytes));

        Assert.Equal(second, await pending);
        Assert.Equal(third, await receiver.NextBytesAsync());
    }

    [Fact]
    public async Task FramesSentOneByteAtATime_AreReassembled_AndNotReturnedBeforeTheirLastByte()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        // The second is larger than the read-ahead buffer, so its body is received straight into the frame.
        byte[][] bodies = [Frames.Payload(300, 1), Frames.Payload(FrameReceiver.ReadAheadBytes + 700, 2)];

        foreach (var body in bodies)
        {
            var framed = Frames.Prefixed(body);
            var pending = receiver.NextBytesAsync();
            for (var i = 0; i < framed.Length; i++)
            {
                Assert.False(pending.IsCompleted, $"frame returned after {i} of its {framed.Length} bytes");
                await pair.Client.SendAllAsync(framed.AsMemory(i, 1));
            }

            Assert.Equal(body, await pending);
        }
    }

    [Fact]
    public async Task FrameOf5MiB_LargerThanTheInitialCapacity_ArrivesIntact_AndTheNextFrameAfterIt()
    {
        const int size = 5 * 1024 * 1024;
        Assert.True(size > RequestFrame.InitialCapacityLimit);
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        var large = Frames.Payload(size, 42);
        var small = Frames.Payload(50, 43);

        var sending = pair.Client.SendAllAsync(Frames.Concat(Frames.Prefixed(large), Frames.Prefixed(small)));
        using (var frame = await receiver.NextAsync())
        {
            Assert.NotNull(frame);
            Assert.Equal(size, frame.Size);
            Assert.Equal(size, frame.Length);
            Assert.True(frame.Memory.Span.SequenceEqual(large), "the 5 MiB frame's bytes differ from what was sent");
        }

        Assert.Equal(small, await receiver.NextBytesAsync());
        await sending;
    }

    [Fact]
    public async Task ZeroLengthFrame_IsAnEmptyCompleteFrame()
    {
        using var pair = await SocketPair.ConnectAsync();
        using var receiver = new FrameReceiver(pair.Server, Limit);
        var after = Frames.Payload(20, 1);

        await pair.Client.SendAllAsync(Frames.Concat(Frames.Prefix(0), Frames.Prefixed(after)));

        using (var empty = await receiver.NextAsync())
        {
            Assert.NotNull(empty);
            Assert.Equal(0, empty.Size);
            Assert.True(empty.IsComplete);
            Assert.True(empty.Memory.IsEmpty);
        }

        Assert.Equal(after, await receiver.NextBytesAsync());
    }
}
