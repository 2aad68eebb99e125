using System.Buffers;

namespace Wharf.Network;

/// <summary>
/// One request frame's bytes (without the size prefix) in a pooled array that the request owns until it is
/// disposed. The array is rented at most <see cref="InitialCapacityLimit"/> bytes at a time and grows as bytes
/// arrive, so a client that announces a large frame and sends nothing holds little memory.
/// Thread-safety: filled by the connection's reader, then read (and possibly modified in place) by the request's
/// processor; never shared by two threads at once.
/// </summary>
public sealed class RequestFrame : IDisposable
{
    /// <summary>The most bytes rented before any of them arrived.</summary>
    public const int InitialCapacityLimit = 1024 * 1024;

    private byte[]? _array;

    public RequestFrame(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Size = size;
        _array = ArrayPool<byte>.Shared.Rent(Math.Min(size, InitialCapacityLimit));
    }

    /// <summary>The frame's size, from its prefix.</summary>
    public int Size { get; }

    /// <summary>Bytes received so far.</summary>
    public int Length { get; private set; }

    public bool IsComplete => Length == Size;

    /// <summary>The received bytes; writable, so a processor may stamp a batch in place (Produce does).</summary>
    public Memory<byte> Memory => Array.AsMemory(0, Length);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(RequestFrame));

    /// <summary>Room for the next bytes: at most <paramref name="max"/> and never past <see cref="Size"/>.</summary>
    public Memory<byte> GetFreeMemory(int max)
    {
        var array = Array;
        if (Length == array.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Size, 2L * array.Length));
            array.AsSpan(0, Length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(array);
            _array = array = grown;
        }

        return array.AsMemory(Length, Math.Min(max, Math.Min(array.Length, Size) - Length));
    }

    /// <summary>Marks <paramref name="count"/> bytes of the memory from <see cref="GetFreeMemory"/> as received.</summary>
    public void Advance(int count)
    {
        if (count < 0 || Length + count > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        Length += count;
    }

    /// <summary>Copies as many of <paramref name="bytes"/> as the frame still needs; returns how many.</summary>
    public int Append(ReadOnlySpan<byte> bytes)
    {
        var taken = 0;
        while (taken < bytes.Length && !IsComplete)
        {
            var free = GetFreeMemory(bytes.Length - taken).Span;
            bytes.Slice(taken, free.Length).CopyTo(free);
            Advance(free.Length);
            taken += free.Length;
        }

        return taken;
    }

    public void Dispose()
    {
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
