using System.Text;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Simulation.Tests;

/// <summary>Record batches of the simulation's producers (one unique string value per record) and their decoding.</summary>
internal static class SimRecords
{
    public static byte[] Batch(long timestamp, IEnumerable<string> values)
    {
        var builder = new RecordBatchBuilder();
        foreach (var value in values)
        {
            builder.Append(timestamp, (byte[]?)null, Encoding.UTF8.GetBytes(value));
        }

        return builder.ToArray();
    }

    /// <summary>Every record in <paramref name="batches"/> (whole batches, as a log or a fetch answer holds them), by offset.</summary>
    public static List<(long Offset, string Value)> Decode(ReadOnlySpan<byte> batches)
    {
        var records = new List<(long, string)>();
        while (batches.Length >= RecordBatchLayout.HeaderSize)
        {
            var size = RecordBatchHeader.Read(batches).TotalSize;
            if (size > batches.Length)
            {
                break;
            }

            var error = RecordBatchReader.TryOpen(batches[..size], 1 << 20, out var reader);
            if (error != RecordBatchError.None)
            {
                throw new InvalidDataException($"A batch the simulation wrote does not decode: {error}.");
            }

            foreach (var record in reader)
            {
                records.Add((record.Offset, Encoding.UTF8.GetString(record.Value)));
            }

            reader.Dispose();
            batches = batches[size..];
        }

        return records;
    }

    /// <summary>The records of <paramref name="log"/> below <paramref name="endOffset"/>, by offset.</summary>
    public static List<(long Offset, string Value)> ReadLog(Log log, long endOffset)
    {
        var records = new List<(long, string)>();
        var offset = log.LogStartOffset;
        while (offset < endOffset)
        {
            var slice = log.Read(offset, 1 << 20, endOffset).Slice;
            if (slice.IsEmpty)
            {
                break;
            }

            var decoded = Decode(slice.ToArray());
            records.AddRange(decoded.Where(r => r.Offset >= offset && r.Offset < endOffset));
            offset = slice.NextOffset;
        }

        return records;
    }
}
