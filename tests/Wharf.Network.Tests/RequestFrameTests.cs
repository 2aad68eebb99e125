namespace Wharf.Network.Tests;

/// <summary>The pooled frame array: filling stops at the frame's size, growth keeps every byte, disposal is idempotent.</summary>
public sealed class RequestFrameTests
{
    [Fact]
    public void NegativeSize_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestFrame(-1));
    }

    [Fact]
    public void Append_TakesOnlyWhatTheFrameStillNeeds()
    {
        using var frame = new RequestFrame(10);
        var bytes = Frames.Payload(25, 1);

        Assert.Equal(4, frame.Append(bytes.AsSpan(0, 4)));
        Assert.False(frame.IsComplete);
        Assert.Equal(6, frame.Append(bytes.AsSpan(4)));
        Assert.True(frame.IsComplete);
        Assert.Equal(0, frame.Append(bytes.AsSpan(10)));

        Assert.Equal(bytes.AsSpan(0, 10).ToArray(), frame.Memory.ToArray());
    }

    [Fact]
    public void GetFreeMemory_IsAtMostTheAskedLength_AndNeverPastTheSize()
    {
        using var frame = new RequestFrame(10);

        Assert.Equal(3, frame.GetFreeMemory(3).Length);
        Assert.Equal(10, frame.GetFreeMemory(int.MaxValue).Length);
        frame.Advance(7);
        Assert.Equal(3, frame.GetFreeMemory(int.MaxValue).Length);
        frame.Advance(3);
        Assert.Equal(0, frame.GetFreeMemory(int.MaxValue).Length);
    }

    [Fact]
    public void Advance_PastTheSizeOrNegative_Throws_AndChangesNothing()
    {
        using var frame = new RequestFrame(10);
        frame.Advance(4);

        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Advance(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Advance(-1));
        Assert.Equal(4, frame.Length);
        frame.Advance(6);
        Assert.True(frame.IsComplete);
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Advance(1));
    }

    [Fact]
    public void LargeFrame_StartsSmall_AndGrowingKeepsEveryByte()
    {
        var size = 3 * RequestFrame.InitialCapacityLimit + 123;
        var bytes = Frames.Payload(size, 9);
        using var frame = new RequestFrame(size);

        Assert.True(frame.GetFreeMemory(int.MaxValue).Length <= RequestFrame.InitialCapacityLimit);
        var offset = 0;
        while (!frame.IsComplete)
        {
            // Odd chunk sizes so growth happens in the middle of what was handed out before.
            var free = frame.GetFreeMemory(77_777);
            Assert.True(free.Length is > 0 and <= 77_777);
            bytes.AsSpan(offset, free.Length).CopyTo(free.Span);
            frame.Advance(free.Length);
            offset += free.Length;
        }

        Assert.Equal(size, frame.Length);
        Assert.True(frame.Memory.Span.SequenceEqual(bytes), "bytes changed while the frame grew");
    }

    [Fact]
    public void Append_AcrossGrowth_KeepsEveryByte()
    {
        var size = 2 * RequestFrame.InitialCapacityLimit + 5;
        var bytes = Frames.Payload(size, 10);
        using var frame = new RequestFrame(size);

        Assert.Equal(size, frame.Append(bytes));

        Assert.True(frame.Memory.Span.SequenceEqual(bytes), "bytes changed while the frame grew");
    }

    [Fact]
    public void ZeroSize_IsCompleteAndEmpty()
    {
        using var frame = new RequestFrame(0);

        Assert.True(frame.IsComplete);
        Assert.True(frame.Memory.IsEmpty);
        Assert.Equal(0, frame.Append([1, 2, 3]));
    }

    [Fact]
    public void DisposeTwice_IsSafe_AndTheMemoryIsGone()
    {
        var frame = new RequestFrame(100);
        frame.Append(Frames.Payload(100, 1));

        frame.Dispose();
        frame.Dispose();

        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
        Assert.Throws<ObjectDisposedException>(() => frame.GetFreeMemory(1));
    }
}
