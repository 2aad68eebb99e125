namespace Wharf.Network.Tests;

internal static class Receiving
{
    /// <summary>The next frame's bytes (the frame goes back to the pool); fails when the peer closed instead.</summary>
    public static async Task<byte[]> NextBytesAsync(this FrameReceiver receiver)
    {
        using var frame = await receiver.NextAsync() ?? throw new InvalidOperationException("the peer closed instead of sending a frame");
        Assert.True(frame.IsComplete);
        Assert.Equal(frame.Size, frame.Length);
        return frame.Memory.ToArray();
    }

    public static Task<RequestFrame?> NextAsync(this FrameReceiver receiver) =>
        receiver.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Loopback.Timeout);
}
