using Wharf.Common;
using Wharf.Coordinator.Share;
using Wharf.Records;

namespace Wharf.Server.Share;

/// <summary>A record on its way to a dead-letter topic: its own key, value, headers and timestamp, and why it was archived.</summary>
public sealed record DeadLetter(long Offset, long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<RecordHeaderEntry> Headers, short DeliveryCount, ArchiveReason Reason)
{
    /// <summary>A copy of <paramref name="record"/> (whose spans die with its batch).</summary>
    public static DeadLetter From(in Record record, ArchivedRecord archived)
    {
        var headers = new List<RecordHeaderEntry>();
        foreach (var header in record.Headers)
        {
            headers.Add(new RecordHeaderEntry(System.Text.Encoding.UTF8.GetString(header.Key), header.IsValueNull ? null : header.Value.ToArray()));
        }

        return new DeadLetter(
            record.Offset,
            record.Timestamp,
            record.IsKeyNull ? null : record.Key.ToArray(),
            record.IsValueNull ? null : record.Value.ToArray(),
            headers,
            archived.DeliveryCount,
            archived.Reason);
    }
}

/// <summary>
/// Appends dead letters to a share group's dead-letter topic, durably (acks=all) before the archiving that caused
/// them is persisted. Thread-safety: implementations are safe from any thread.
/// </summary>
public interface IDeadLetterWriter
{
    Task<ErrorCode> WriteAsync(string groupId, string topic, TopicPartition source, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken);
}
