using System.Text;
using Wharf.Records;
using Wharf.Storage;

namespace Wharf.Integration.Tests;

/// <summary>Reads a log the way a checker needs it: every record's value by offset, through the log's own read path.</summary>
internal static class LogValues
{
    /// <summary>Every data record of <paramref name="log"/> (control batches skipped): offset → UTF-8 value.</summary>
    public static Dictionary<long, string> Read(Log log)
    {
        var values = new Dictionary<long, string>();
        var offset = log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            var slice = log.Read(offset, 1 << 20).Slice;
            if (slice.IsEmpty)
            {
                break;
            }

            var bytes = new byte[slice.Length];
            slice.CopyTo(bytes);
            for (var position = 0; position < bytes.Length;)
            {
                var header = RecordBatchHeader.Read(bytes.AsSpan(position));
                if (!header.IsControl && RecordBatchReader.TryOpen(bytes.AsSpan(position, header.TotalSize), 1 << 20, out var reader) == RecordBatchError.None)
                {
                    using (reader)
                    {
                        foreach (var record in reader)
                        {
                            values[record.Offset] = Encoding.UTF8.GetString(record.Value);
                        }
                    }
                }

                position += header.TotalSize;
            }

            offset = slice.NextOffset;
        }

        return values;
    }

}
