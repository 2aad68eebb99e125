using System.Buffers;
using Wharf.Common;

namespace Wharf.Records;

/// <summary>
/// The headers of one <see cref="Record"/>: a view over bytes already checked by the record decoder.
/// Enumerating parses lazily and allocates nothing.
/// </summary>
public readonly ref struct RecordHeaders
{
    private readonly ReadOnlySpan<byte> _bytes;

    internal RecordHeaders(ReadOnlySpan<byte> bytes, int count)
    {
        _bytes = bytes;
        Count = count;
    }

    public int Count { get; }

    public Enumerator GetEnumerator() => new(_bytes, Count);

    /// <summary>Walks headers in wire order.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _position;
        private int _remaining;

        internal Enumerator(ReadOnlySpan<byte> bytes, int count)
        {
            _bytes = bytes;
            _remaining = count;
        }

        public RecordHeader Current { get; private set; }

        public bool MoveNext()
        {
            if (_remaining <= 0)
            {
                return false;
            }

            _remaining--;
            var position = _position;
            if (!TryReadBytes(_bytes, ref position, out var key, out var keyIsNull) || keyIsNull
                || !TryReadBytes(_bytes, ref position, out var value, out var valueIsNull))
            {
                // The decoder checked these bytes; reaching here means the view was built over unchecked data.
                _remaining = 0;
                return false;
            }

            _position = position;
            Current = new RecordHeader(key, value, valueIsNull);
            return true;
        }

        private static bool TryReadBytes(ReadOnlySpan<byte> bytes, scoped ref int position, out ReadOnlySpan<byte> field, out bool isNull)
        {
            field = default;
            isNull = false;
            if (Varint.DecodeVarint(bytes[position..], out var length, out var consumed) != OperationStatus.Done
                || length < -1 || length > bytes.Length - position - consumed)
            {
                return false;
            }

            position += consumed;
            if (length == -1)
            {
                isNull = true;
                return true;
            }

            field = bytes.Slice(position, length);
            position += length;
            return true;
        }
    }
}

/// <summary>One record header: a UTF-8 key (never null) and a value that may be null.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isValueNull)
    {
        Key = key;
        Value = value;
        IsValueNull = isValueNull;
    }

    /// <summary>The key as UTF-8 bytes (Kafka header keys are strings).</summary>
    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }
}
