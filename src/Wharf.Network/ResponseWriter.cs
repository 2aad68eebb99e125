using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network;

/// <summary>
/// Encodes responses into pooled arrays (size prefix, header, body; the size is computed first, so an array is never
/// larger than what is left to write and nothing is copied twice), and hands them out as one gather list for a single
/// send. Large record ranges (a Fetch's batches) are not copied: they join the list by reference between the pieces
/// of the encoded response — a pooled array as it is, a <see cref="FileRegion"/> as a file piece for <c>sendfile</c> —
/// and the response's <see cref="OutgoingResponse.AfterSent"/> (which releases them) runs only once the send has
/// finished.
/// Thread-safety: one connection's writer at a time.
/// </summary>
public sealed class ResponseWriter : IGatheringBufferWriter, IDisposable
{
    private readonly List<ResponsePiece> _pending = [];
    private readonly List<byte[]> _rented = [];
    private readonly List<Action> _afterSent = [];
    private byte[] _current = [];
    private int _written;
    private int _pieceStart;
    private int _total;
    private int _expected;

    /// <summary>Encoded responses not yet sent, in order.</summary>
    public IReadOnlyList<ResponsePiece> Pending => _pending;

    public int PendingBytes { get; private set; }

    /// <summary>
    /// Appends one response (size prefix, header, body) to <see cref="Pending"/> and takes over its
    /// <see cref="OutgoingResponse.AfterSent"/>: run by <see cref="Clear"/>, or at once if encoding fails.
    /// </summary>
    public void Add(OutgoingResponse response)
    {
        var header = new ResponseHeader { CorrelationId = response.CorrelationId };
        var size = header.ComputeSize(response.HeaderVersion) + response.Body.ComputeSize(response.Version);
        var pendingBefore = _pending.Count;
        var rentedBefore = _rented.Count;
        _expected = 4 + size;
        _total = 0;
        StartArray(Math.Min(_expected, FirstArrayBytes));
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(_current, size);
            _written = 4;
            _total = 4;
            var writer = new KafkaWriter(this);
            header.Write(ref writer, response.HeaderVersion);
            response.Body.Write(ref writer, response.Version);
            writer.Flush();
            if (_total != _expected)
            {
                throw new InvalidOperationException($"{response.Body.GetType().Name} v{response.Version} wrote {_total - 4} bytes but computed {size}");
            }
        }
        catch
        {
            _pending.RemoveRange(pendingBefore, _pending.Count - pendingBefore);
            foreach (var array in _rented.Skip(rentedBefore))
            {
                ArrayPool<byte>.Shared.Return(array);
            }

            _rented.RemoveRange(rentedBefore, _rented.Count - rentedBefore);
            _current = [];
            response.AfterSent?.Invoke();
            throw;
        }

        ClosePiece();
        if (response.AfterSent is { } afterSent)
        {
            _afterSent.Add(afterSent);
        }

        PendingBytes += _expected;
        _current = [];
    }

    /// <summary>After a completed send: returns the arrays to the pool and runs the responses' AfterSent actions.</summary>
    public void Clear()
    {
        foreach (var array in _rented)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        foreach (var afterSent in _afterSent)
        {
            afterSent();
        }

        Forget();
    }

    /// <summary>
    /// After a failed send, which may still be reading the arrays: forgets them without pooling them and without
    /// running the AfterSent actions (the buffers those would return are left to the GC).
    /// </summary>
    public void Abandon() => Forget();

    public void Dispose() => Clear();

    void IBufferWriter<byte>.Advance(int count)
    {
        _written += count;
        _total += count;
    }

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        var position = Reserve(sizeHint); // may replace _current
        return _current.AsMemory(position);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        var position = Reserve(sizeHint); // may replace _current
        return _current.AsSpan(position);
    }

    void IGatheringBufferWriter.WriteReference(ReadOnlyMemory<byte> bytes)
    {
        if (MemoryMarshal.TryGetMemoryManager<byte, FileRegion>(bytes, out var region, out var start, out var length))
        {
            ClosePiece();
            _pending.Add(new ResponsePiece(default, region, region.Offset + start, length));
            _total += length;
            return;
        }

        if (!MemoryMarshal.TryGetArray(bytes, out var segment))
        {
            // Not array-backed: copy it into its place.
            var position = Reserve(bytes.Length); // may replace _current
            bytes.Span.CopyTo(_current.AsSpan(position, bytes.Length));
            _written += bytes.Length;
            _total += bytes.Length;
            return;
        }

        ClosePiece();
        _pending.Add(new ResponsePiece(segment));
        _total += segment.Count;
    }

    /// <summary>Responses are encoded into an array of at most this size first; what does not fit gets a second one.</summary>
    private const int FirstArrayBytes = 16 * 1024;

    /// <summary>
    /// Makes room for <paramref name="sizeHint"/> bytes and returns the write position. Whatever is left of the
    /// response (its computed size less what has been written) always fits, so it is enough to have room for that.
    /// </summary>
    private int Reserve(int sizeHint)
    {
        var free = _current.Length - _written;
        var left = _expected - _total;
        if (free < Math.Max(sizeHint, 1) && free < left)
        {
            ClosePiece();
            StartArray(Math.Max(sizeHint, left));
        }

        return _written;
    }

    private void StartArray(int length)
    {
        _current = ArrayPool<byte>.Shared.Rent(length);
        _rented.Add(_current);
        _written = 0;
        _pieceStart = 0;
    }

    private void ClosePiece()
    {
        if (_written > _pieceStart)
        {
            _pending.Add(new ResponsePiece(new ArraySegment<byte>(_current, _pieceStart, _written - _pieceStart)));
        }

        _pieceStart = _written;
    }

    private void Forget()
    {
        _pending.Clear();
        _rented.Clear();
        _afterSent.Clear();
        PendingBytes = 0;
    }
}
