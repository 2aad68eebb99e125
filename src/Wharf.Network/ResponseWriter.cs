using System.Buffers;
using System.Buffers.Binary;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network;

/// <summary>
/// Encodes responses into pooled arrays, one array per response sized exactly (size prefix, header, body; the size
/// is computed first so nothing is written twice), and hands them out as one gather list for a single send.
/// Thread-safety: one connection's writer at a time.
/// </summary>
public sealed class ResponseWriter : IBufferWriter<byte>, IDisposable
{
    private readonly List<ArraySegment<byte>> _pending = [];
    private byte[] _current = [];
    private int _written;

    /// <summary>Encoded responses not yet sent, in order.</summary>
    public IList<ArraySegment<byte>> Pending => _pending;

    public int PendingBytes { get; private set; }

    /// <summary>Appends one response (size prefix, header, body) to <see cref="Pending"/>.</summary>
    public void Add(OutgoingResponse response)
    {
        var header = new ResponseHeader { CorrelationId = response.CorrelationId };
        var size = header.ComputeSize(response.HeaderVersion) + response.Body.ComputeSize(response.Version);
        _current = ArrayPool<byte>.Shared.Rent(4 + size);
        _written = 0;
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(_current, size);
            _written = 4;
            var writer = new KafkaWriter(this);
            header.Write(ref writer, response.HeaderVersion);
            response.Body.Write(ref writer, response.Version);
            writer.Flush();
            if (_written != 4 + size)
            {
                throw new InvalidOperationException($"{response.Body.GetType().Name} v{response.Version} wrote {_written - 4} bytes but computed {size}");
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = [];
            throw;
        }

        _pending.Add(new ArraySegment<byte>(_current, 0, _written));
        PendingBytes += _written;
        _current = [];
    }

    /// <summary>Returns the sent arrays to the pool.</summary>
    public void Clear()
    {
        foreach (var segment in _pending)
        {
            ArrayPool<byte>.Shared.Return(segment.Array!);
        }

        _pending.Clear();
        PendingBytes = 0;
    }

    /// <summary>Forgets the pending arrays without pooling them (a failed send may still be reading them).</summary>
    public void Abandon()
    {
        _pending.Clear();
        PendingBytes = 0;
    }

    public void Dispose() => Clear();

    void IBufferWriter<byte>.Advance(int count) => _written += count;

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => _current.AsMemory(_written);

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => _current.AsSpan(_written);
}
