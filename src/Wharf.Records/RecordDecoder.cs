using System.Buffers;
using System.Runtime.CompilerServices;
using Wharf.Common;

namespace Wharf.Records;

/// <summary>
/// Decodes one record (layout in <see cref="Record"/>) from an uncompressed record area, checking every
/// varint and length against the record's own bounds. The single source of truth for record structure:
/// both <see cref="RecordBatchValidator"/> and <see cref="RecordEnumerator"/> use it.
/// Thread-safety: stateless. Never throws for malformed input.
/// </summary>
internal static class RecordDecoder
{
    /// <summary>Fewest body bytes a record can have: attributes + five one-byte varints.</summary>
    internal const int MinimumBodySize = 6;

    /// <summary>
    /// Decodes the record at <paramref name="position"/> and advances past it. On error the position is unchanged
    /// and <paramref name="record"/> is default.
    /// </summary>
    internal static RecordBatchError TryRead(
        ReadOnlySpan<byte> area,
        scoped ref int position,
        long baseOffset,
        long baseTimestamp,
        bool logAppendTime,
        out Record record)
    {
        record = default;
        var remaining = area[position..];
        var status = Varint.DecodeVarint(remaining, out var length, out var lengthSize);
        if (status != OperationStatus.Done)
        {
            return status == OperationStatus.NeedMoreData ? RecordBatchError.RecordOverrun : RecordBatchError.InvalidVarint;
        }

        if (length <= 0)
        {
            return RecordBatchError.InvalidRecordLength;
        }

        if (length > remaining.Length - lengthSize)
        {
            return RecordBatchError.RecordOverrun;
        }

        var body = remaining.Slice(lengthSize, length);
        var attributes = body[0];
        var p = 1;

        status = Varint.DecodeVarlong(body[p..], out var timestampDelta, out var consumed);
        if (status != OperationStatus.Done)
        {
            return FieldError(status);
        }

        p += consumed;
        status = Varint.DecodeVarint(body[p..], out var offsetDelta, out consumed);
        if (status != OperationStatus.Done)
        {
            return FieldError(status);
        }

        p += consumed;
        var error = ReadBytes(body, ref p, out var key, out var isKeyNull);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        error = ReadBytes(body, ref p, out var value, out var isValueNull);
        if (error != RecordBatchError.None)
        {
            return error;
        }

        status = Varint.DecodeVarint(body[p..], out var headerCount, out consumed);
        if (status != OperationStatus.Done)
        {
            return FieldError(status);
        }

        if (headerCount < 0)
        {
            return RecordBatchError.InvalidHeaderCount;
        }

        p += consumed;
        var headersStart = p;
        for (var i = 0; i < headerCount; i++)
        {
            error = ReadBytes(body, ref p, out _, out var isHeaderKeyNull);
            if (error != RecordBatchError.None)
            {
                return error;
            }

            if (isHeaderKeyNull)
            {
                return RecordBatchError.InvalidFieldLength;
            }

            error = ReadBytes(body, ref p, out _, out _);
            if (error != RecordBatchError.None)
            {
                return error;
            }
        }

        if (p != body.Length)
        {
            return RecordBatchError.RecordLengthMismatch;
        }

        var timestamp = logAppendTime ? baseTimestamp : baseTimestamp + timestampDelta;
        record = new Record(
            lengthSize + length,
            attributes,
            timestampDelta,
            offsetDelta,
            baseOffset + offsetDelta,
            timestamp,
            key,
            isKeyNull,
            value,
            isValueNull,
            new RecordHeaders(body[headersStart..], headerCount));
        position += lengthSize + length;
        return RecordBatchError.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RecordBatchError FieldError(OperationStatus status) =>
        status == OperationStatus.NeedMoreData ? RecordBatchError.FieldOverrun : RecordBatchError.InvalidVarint;

    /// <summary>A varint length (-1 = null) followed by that many bytes, all inside <paramref name="body"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RecordBatchError ReadBytes(ReadOnlySpan<byte> body, scoped ref int p, out ReadOnlySpan<byte> field, out bool isNull)
    {
        field = default;
        isNull = false;
        var status = Varint.DecodeVarint(body[p..], out var length, out var consumed);
        if (status != OperationStatus.Done)
        {
            return FieldError(status);
        }

        if (length < -1)
        {
            return RecordBatchError.InvalidFieldLength;
        }

        p += consumed;
        if (length == -1)
        {
            isNull = true;
            return RecordBatchError.None;
        }

        if (length > body.Length - p)
        {
            return RecordBatchError.FieldOverrun;
        }

        field = body.Slice(p, length);
        p += length;
        return RecordBatchError.None;
    }
}
