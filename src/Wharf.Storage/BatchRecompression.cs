using System.Buffers;
using System.Buffers.Binary;
using Wharf.Common;
using Wharf.Records;
using Wharf.Records.Compression;

namespace Wharf.Storage;

/// <summary>
/// <c>compression.type</c> set to a codec: rebuilds each client batch that uses another codec in that codec before the
/// log stamps and writes it, as Kafka's log validator does. The rebuilt batch keeps everything that identifies it —
/// producer id, epoch and base sequence (idempotence and transactions work unchanged), the transactional flag,
/// timestamps, record count — and its records keep their bytes, so their offset deltas are 0..n-1 (checked): the log
/// then assigns offsets to the rebuilt batch exactly as to any other. Only the compression bits of the attributes,
/// the length and the CRC change. Control batches are never rebuilt; a batch already in the target codec is kept as
/// sent. Decompression is bounded by the caller (<c>max.message.bytes</c> × a factor); a batch that exceeds it, or
/// whose records are malformed, is refused. Thread-safety: stateless.
/// </summary>
internal static class BatchRecompression
{
    private const short CompressionMask = 0x07;

    /// <summary>
    /// <paramref name="records"/> itself when no batch needs rebuilding (no copy), else a new buffer with every batch,
    /// rebuilt ones in <paramref name="target"/>.
    /// </summary>
    /// <exception cref="InvalidRecordBatchException">a batch to rebuild does not decompress within the bound or has malformed records.</exception>
    public static Memory<byte> Recompress(Memory<byte> records, CompressionType target, int maxDecompressedBytes)
    {
        if (!NeedsRebuild(records.Span, target))
        {
            return records;
        }

        var output = new ArrayBufferWriter<byte>(records.Length + 64);
        var span = records.Span;
        for (var position = 0; position < span.Length;)
        {
            var header = RecordBatchHeader.Read(span[position..]);
            var batch = span.Slice(position, Math.Min(header.TotalSize, span.Length - position));
            if (header.IsControl || header.Compression == target)
            {
                output.Write(batch);
            }
            else
            {
                Rebuild(batch, target, maxDecompressedBytes, output);
            }

            position += header.TotalSize;
        }

        return output.WrittenSpan.ToArray();
    }

    private static bool NeedsRebuild(ReadOnlySpan<byte> records, CompressionType target)
    {
        for (var position = 0; position + RecordBatchLayout.HeaderSize <= records.Length;)
        {
            var header = RecordBatchHeader.Read(records[position..]);
            if (!header.IsControl && header.Compression != target)
            {
                return true;
            }

            if (header.TotalSize <= 0)
            {
                return false; // malformed: the log's own validation refuses it
            }

            position += header.TotalSize;
        }

        return false;
    }

    private static void Rebuild(ReadOnlySpan<byte> batch, CompressionType target, int maxDecompressedBytes, ArrayBufferWriter<byte> output)
    {
        var error = RecordBatchReader.TryOpen(batch, maxDecompressedBytes, out var reader);
        if (error != RecordBatchError.None)
        {
            throw new InvalidRecordBatchException(error, $"Could not decompress a batch to recompress it as {target}: {error}.");
        }

        using (reader)
        {
            var header = reader.Header;
            error = RecordBatchValidator.ValidateProducerBatch(header);
            if (error == RecordBatchError.None)
            {
                error = RecordBatchValidator.ValidateRecords(header, reader.Records);
            }

            if (error != RecordBatchError.None)
            {
                throw new InvalidRecordBatchException(error, $"A batch to recompress as {target} is invalid: {error}.");
            }

            var start = output.WrittenCount;
            batch[..RecordBatchLayout.HeaderSize].CopyTo(output.GetSpan(RecordBatchLayout.HeaderSize));
            output.Advance(RecordBatchLayout.HeaderSize);
            if (CompressionCodecs.Get(target) is { } codec)
            {
                codec.Compress(reader.Records, output);
            }
            else
            {
                output.Write(reader.Records);
            }

            var rebuilt = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
            var attributes = BinaryPrimitives.ReadInt16BigEndian(rebuilt[RecordBatchLayout.AttributesOffset..]);
            BinaryPrimitives.WriteInt16BigEndian(rebuilt[RecordBatchLayout.AttributesOffset..], (short)((attributes & ~CompressionMask) | (byte)target));
            BinaryPrimitives.WriteInt32BigEndian(rebuilt[RecordBatchLayout.LengthOffset..], rebuilt.Length - RecordBatchLayout.LogOverhead);
            BinaryPrimitives.WriteUInt32BigEndian(rebuilt[RecordBatchLayout.CrcOffset..], Crc32C.Compute(rebuilt[RecordBatchLayout.AttributesOffset..]));
        }
    }
}
