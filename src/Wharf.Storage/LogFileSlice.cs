using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Storage;

/// <summary>
/// A byte range of whole record batches in one segment file, as returned by <see cref="Log.Read"/>: the
/// network layer copies it straight into a Fetch response (pread into its pipe buffer, or sendfile) without
/// decoding. The bytes were published (and immutable) when the slice was made.
/// Thread-safety: an immutable value. The file stays open at least <see cref="LogConfig.FileDeleteDelayMs"/> (<c>file.delete.delay.ms</c>)
/// after its segment is removed by retention, compaction or truncation; a copy attempted later, or racing with a
/// <see cref="Log.TruncateTo"/>, may return fewer bytes than <see cref="Length"/> or throw
/// <see cref="ObjectDisposedException"/>, and the caller should then answer as for an offset out of range.
/// </summary>
public readonly struct LogFileSlice
{
    private readonly LogSegment? _segment;

    internal LogFileSlice(LogSegment segment, long position, int length, long firstOffset, long nextOffset)
    {
        _segment = segment;
        Position = position;
        Length = length;
        FirstOffset = firstOffset;
        NextOffset = nextOffset;
    }

    /// <summary>An empty slice (fetch at the log end, or nothing below the upper bound).</summary>
    public static LogFileSlice Empty => default;

    /// <summary>The open segment file (positional reads only; do not move or close it).</summary>
    public SafeFileHandle? FileHandle => _segment?.Handle;

    /// <summary>The segment file's path when the slice was made.</summary>
    public string? FilePath => _segment?.LogPath;

    public long Position { get; }

    public int Length { get; }

    public bool IsEmpty => Length == 0;

    /// <summary>Base offset of the first batch in the range (≤ the fetch offset).</summary>
    public long FirstOffset { get; }

    /// <summary>The offset after the last batch in the range.</summary>
    public long NextOffset { get; }

    /// <summary>Copies the range into <paramref name="destination"/> (at most its length); returns bytes copied.</summary>
    public int CopyTo(Span<byte> destination)
    {
        if (_segment is null)
        {
            return 0;
        }

        var wanted = Math.Min(destination.Length, Length);
        var read = 0;
        while (read < wanted)
        {
            var n = RandomAccess.Read(_segment.Handle, destination[read..wanted], Position + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }

    /// <summary>Asynchronous <see cref="CopyTo"/>.</summary>
    public async ValueTask<int> CopyToAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_segment is null)
        {
            return 0;
        }

        var wanted = Math.Min(destination.Length, Length);
        var read = 0;
        while (read < wanted)
        {
            var n = await RandomAccess.ReadAsync(_segment.Handle, destination[read..wanted], Position + read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }

    /// <summary>Reads the range into a buffer rented from <see cref="ArrayPool{T}.Shared"/>; dispose returns it.</summary>
    public PooledBytes ReadPooled()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
        var read = CopyTo(buffer.AsSpan(0, Length));
        return new PooledBytes(buffer, read);
    }

    /// <summary>Copies the range into a new array (tests, tools).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        var read = CopyTo(bytes);
        return read == Length ? bytes : bytes[..read];
    }
}

/// <summary>Bytes in a pooled array; <see cref="Dispose"/> returns the array. Not thread-safe; dispose once.</summary>
public sealed class PooledBytes(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public int Length { get; } = length;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}

/// <summary>What <see cref="Log.Read"/> found: the batches and the log's bounds at that moment.</summary>
public readonly record struct LogReadResult(LogFileSlice Slice, long LogStartOffset, long LogEndOffset);

/// <summary>
/// The outcome of an append: the offsets assigned (<see cref="FirstOffset"/>..<see cref="LastOffset"/>), the
/// broker time stamped into the batches when the topic uses LogAppendTime (else -1), the largest timestamp, and
/// <see cref="Durable"/>, which completes when the bytes are fsync'd (at once in interval mode) or faults with a
/// <see cref="LogStorageException"/>. <see cref="IsDuplicate"/>: the batch was a producer's retry of one already in
/// the log; nothing was appended and the offsets are the original ones.
/// </summary>
public readonly record struct LogAppendInfo(
    long FirstOffset,
    long LastOffset,
    long LogAppendTime,
    long MaxTimestamp,
    long LogStartOffset,
    int BatchCount,
    int Bytes,
    Task Durable,
    bool IsDuplicate = false);

/// <summary>A timestamp lookup's answer: the first record with a timestamp ≥ the target, or the max-timestamp record.</summary>
public readonly record struct TimestampAndOffset(long Timestamp, long Offset, int LeaderEpoch);
