using System.Buffers.Binary;
using System.Text;

namespace Wharf.Coordinator.Share;

/// <summary>
/// The records of <c>__share_group_state</c>: one key per share-partition, whose newest value is that share-partition's
/// whole persisted state (compaction keeps only it; a tombstone forgets the share-partition). Big-endian; a string is
/// an int16 length and UTF-8 bytes.
/// <code>
/// Key   v0  version int16 = 0, group string, topic_id 16 bytes (RFC 4122 order), partition int32
/// Value v0  version int16 = 0, state_epoch int32, leader_epoch int32, start_offset int64,
///           batch_count int32, batches [first_offset int64, last_offset int64, state int8, delivery_count int16]
/// </code>
/// state is <see cref="RecordState"/> (Available 0, Acknowledged 2, Archived 4; an acquired record is written as
/// Available); offsets from start_offset that no batch covers are Available and never delivered.
/// Thread-safety: stateless.
/// </summary>
public static class ShareStateRecords
{
    private const short Version = 0;

    public static byte[] Key(ShareKey key)
    {
        var group = Encoding.UTF8.GetBytes(key.GroupId);
        var bytes = new byte[2 + 2 + group.Length + 16 + 4];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, Version);
        BinaryPrimitives.WriteInt16BigEndian(span[2..], checked((short)group.Length));
        group.CopyTo(span[4..]);
        key.TopicId.TryWriteBytes(span[(4 + group.Length)..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(span[(20 + group.Length)..], key.Partition);
        return bytes;
    }

    public static byte[] Value(ShareSnapshot snapshot)
    {
        var bytes = new byte[2 + 4 + 4 + 8 + 4 + (snapshot.Batches.Count * 19)];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, Version);
        BinaryPrimitives.WriteInt32BigEndian(span[2..], snapshot.StateEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[6..], snapshot.LeaderEpoch);
        BinaryPrimitives.WriteInt64BigEndian(span[10..], snapshot.StartOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[18..], snapshot.Batches.Count);
        var position = 22;
        foreach (var batch in snapshot.Batches)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[position..], batch.FirstOffset);
            BinaryPrimitives.WriteInt64BigEndian(span[(position + 8)..], batch.LastOffset);
            span[position + 16] = (byte)batch.State;
            BinaryPrimitives.WriteInt16BigEndian(span[(position + 17)..], batch.DeliveryCount);
            position += 19;
        }

        return bytes;
    }

    /// <exception cref="FormatException">a truncated key or one of an unknown version.</exception>
    public static ShareKey ReadKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < 4 || BinaryPrimitives.ReadInt16BigEndian(key) != Version)
        {
            throw new FormatException("Unknown __share_group_state key.");
        }

        var length = BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        if (length < 0 || key.Length != 4 + length + 16 + 4)
        {
            throw new FormatException("Truncated __share_group_state key.");
        }

        return new ShareKey(Encoding.UTF8.GetString(key.Slice(4, length)), new Guid(key.Slice(4 + length, 16), bigEndian: true), BinaryPrimitives.ReadInt32BigEndian(key[(20 + length)..]));
    }

    /// <exception cref="FormatException">a truncated value or one of an unknown version.</exception>
    public static ShareSnapshot ReadValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 22 || BinaryPrimitives.ReadInt16BigEndian(value) != Version)
        {
            throw new FormatException("Unknown __share_group_state value.");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(value[18..]);
        if (count < 0 || value.Length != 22 + ((long)count * 19))
        {
            throw new FormatException("Truncated __share_group_state value.");
        }

        var batches = new StateBatch[count];
        for (var i = 0; i < count; i++)
        {
            var at = value[(22 + (i * 19))..];
            batches[i] = new StateBatch(BinaryPrimitives.ReadInt64BigEndian(at), BinaryPrimitives.ReadInt64BigEndian(at[8..]), (RecordState)at[16], BinaryPrimitives.ReadInt16BigEndian(at[17..]));
        }

        return new ShareSnapshot(BinaryPrimitives.ReadInt32BigEndian(value[2..]), BinaryPrimitives.ReadInt32BigEndian(value[6..]), BinaryPrimitives.ReadInt64BigEndian(value[10..]), batches);
    }
}

/// <summary>One share-partition: a share group and a topic partition (by topic id, which survives renames and tells a recreated topic apart).</summary>
public readonly record struct ShareKey(string GroupId, Guid TopicId, int Partition)
{
    /// <summary>The coordinator key, as KIP-932 forms it: <c>group:topicId:partition</c>.</summary>
    public override string ToString() => $"{GroupId}:{TopicId}:{Partition}";
}

/// <summary>
/// A share-partition's persisted state: the state epoch (bumped when an operator resets it), the leader epoch of the
/// partition leader that wrote it (a write from an older leadership is fenced), the start offset and the window.
/// </summary>
public sealed record ShareSnapshot(int StateEpoch, int LeaderEpoch, long StartOffset, IReadOnlyList<StateBatch> Batches)
{
    /// <summary>
    /// The records at or above the start offset not yet done (acknowledged or archived), up to
    /// <paramref name="highWatermark"/>: what KIP-932 reports as a share-partition's lag.
    /// </summary>
    public long LagTo(long highWatermark)
    {
        var done = Batches.Where(b => b.State is RecordState.Acknowledged or RecordState.Archived && b.LastOffset >= StartOffset)
            .Sum(b => Math.Min(b.LastOffset, highWatermark - 1) - Math.Max(b.FirstOffset, StartOffset) + 1);
        return Math.Max(0, highWatermark - StartOffset - Math.Max(0, done));
    }
}
