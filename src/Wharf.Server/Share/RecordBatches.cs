using Wharf.Records;

namespace Wharf.Server.Share;

/// <summary>
/// The whole record batches in a buffer read from a log, in order, with their headers; a torn last batch (a read that
/// stopped inside it) ends the walk. Thread-safety: stateless.
/// </summary>
internal static class RecordBatches
{
    public static IEnumerable<(RecordBatchHeader Header, ReadOnlyMemory<byte> Batch)> In(byte[] bytes)
    {
        var position = 0;
        while (position + RecordBatchLayout.RecordsOffset <= bytes.Length)
        {
            var header = RecordBatchHeader.Read(bytes.AsSpan(position));
            if (header.TotalSize <= 0 || position + header.TotalSize > bytes.Length)
            {
                yield break;
            }

            yield return (header, bytes.AsMemory(position, header.TotalSize));
            position += header.TotalSize;
        }
    }
}
