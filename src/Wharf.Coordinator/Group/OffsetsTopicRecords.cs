using System.Buffers.Binary;
using System.Text;

namespace Wharf.Coordinator.Group;

/// <summary>
/// The records the group coordinator keeps in <c>__consumer_offsets</c>, in Kafka's own schemas (so Kafka tools that
/// decode the topic read ours). Every field is big-endian; a string is an int16 length (-1 = null) and UTF-8 bytes;
/// bytes are an int32 length and the bytes; an array is an int32 count. Keys and values start with an int16 schema
/// version. A record with a null value (tombstone) deletes its key; compaction keeps the newest record per key.
/// <code>
/// Key v0/v1  OffsetCommitKey    group string, topic string, partition int32
///   Value v3 OffsetCommitValue  offset int64, leader_epoch int32, metadata string, commit_timestamp int64
///            (read: v0 offset, metadata, commit_ts; v1 adds expire_ts int64; v2 as v0; v3 as written)
/// Key v2     GroupMetadataKey   group string
///   Value v3 GroupMetadataValue protocol_type string, generation int32, protocol string?, leader string?,
///                               current_state_timestamp int64, members [MemberMetadata]
///            MemberMetadata     member_id string, group_instance_id string?, client_id string, client_host string,
///                               rebalance_timeout int32, session_timeout int32, subscription bytes, assignment bytes
///            (read: v0 has no rebalance_timeout, no state timestamp, no instance id; v1 adds rebalance_timeout;
///             v2 adds current_state_timestamp; v3 adds group_instance_id)
/// </code>
/// Key v11    ShareGroupMetadataKey   group string
///   Value v0 ShareGroupMetadataValue group_epoch int32 (a share group exists; members live in memory and rejoin)
/// Other key versions (KIP-848 consumer groups) are skipped when read.
/// Thread-safety: stateless.
/// </summary>
internal static class OffsetsTopicRecords
{
    public const short OffsetCommitKeyVersion = 1;
    public const short OffsetCommitValueVersion = 3;
    public const short GroupMetadataKeyVersion = 2;
    public const short GroupMetadataValueVersion = 3;
    public const short ShareGroupKeyVersion = 11;

    public static byte[] OffsetCommitKey(string group, string topic, int partition)
    {
        var writer = new Writer();
        writer.Int16(OffsetCommitKeyVersion);
        writer.String(group);
        writer.String(topic);
        writer.Int32(partition);
        return writer.ToArray();
    }

    public static byte[] OffsetCommitValue(CommittedOffset offset)
    {
        var writer = new Writer();
        writer.Int16(OffsetCommitValueVersion);
        writer.Int64(offset.Offset);
        writer.Int32(offset.LeaderEpoch);
        writer.String(offset.Metadata ?? "");
        writer.Int64(offset.CommitTimestamp);
        return writer.ToArray();
    }

    public static byte[] GroupMetadataKey(string group)
    {
        var writer = new Writer();
        writer.Int16(GroupMetadataKeyVersion);
        writer.String(group);
        return writer.ToArray();
    }

    public static byte[] GroupMetadataValue(GroupSnapshot group)
    {
        var writer = new Writer();
        writer.Int16(GroupMetadataValueVersion);
        writer.String(group.ProtocolType ?? "");
        writer.Int32(group.Generation);
        writer.String(group.ProtocolName);
        writer.String(group.Leader);
        writer.Int64(group.CurrentStateTimestamp);
        writer.Int32(group.Members.Count);
        foreach (var member in group.Members)
        {
            writer.String(member.MemberId);
            writer.String(member.GroupInstanceId);
            writer.String(member.ClientId);
            writer.String(member.ClientHost);
            writer.Int32(member.RebalanceTimeoutMs);
            writer.Int32(member.SessionTimeoutMs);
            writer.Bytes(member.Subscription);
            writer.Bytes(member.Assignment);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a key: an offset commit key, a group metadata key, or null for a key version we skip.</summary>
    /// <exception cref="FormatException">the key is truncated or malformed.</exception>
    public static object? ReadKey(ReadOnlySpan<byte> key)
    {
        var reader = new Reader(key);
        var version = reader.Int16();
        switch (version)
        {
            case 0 or 1:
                return new OffsetKey(reader.String() ?? "", reader.String() ?? "", reader.Int32());
            case 2:
                return new GroupKey(reader.String() ?? "");
            case ShareGroupKeyVersion:
                return new ShareGroupKey(reader.String() ?? "");
            default:
                return null;
        }
    }

    /// <exception cref="FormatException">the value is truncated, malformed or of an unknown version.</exception>
    public static CommittedOffset ReadOffsetCommitValue(ReadOnlySpan<byte> value)
    {
        var reader = new Reader(value);
        var version = reader.Int16();
        var offset = reader.Int64();
        var leaderEpoch = version >= 3 ? reader.Int32() : -1;
        var metadata = reader.String();
        var commitTimestamp = reader.Int64();
        if (version > 4)
        {
            throw new FormatException($"Unknown offset commit value version {version}.");
        }

        return new CommittedOffset(offset, leaderEpoch, metadata, commitTimestamp);
    }

    /// <exception cref="FormatException">the value is truncated, malformed or of an unknown version.</exception>
    public static GroupSnapshot ReadGroupMetadataValue(ReadOnlySpan<byte> value)
    {
        var reader = new Reader(value);
        var version = reader.Int16();
        if (version is < 0 or > 4)
        {
            throw new FormatException($"Unknown group metadata value version {version}.");
        }

        var protocolType = reader.String();
        var generation = reader.Int32();
        var protocol = reader.String();
        var leader = reader.String();
        var stateTimestamp = version >= 2 ? reader.Int64() : -1;
        var count = reader.Int32();
        if (count < 0 || count > value.Length)
        {
            throw new FormatException($"Bad member count {count}.");
        }

        var members = new List<MemberSnapshot>(count);
        for (var i = 0; i < count; i++)
        {
            var memberId = reader.String() ?? "";
            var instanceId = version >= 3 ? reader.String() : null;
            var clientId = reader.String() ?? "";
            var clientHost = reader.String() ?? "";
            var rebalanceTimeout = version >= 1 ? reader.Int32() : -1;
            var sessionTimeout = reader.Int32();
            if (rebalanceTimeout < 0)
            {
                rebalanceTimeout = sessionTimeout;
            }

            members.Add(new MemberSnapshot(memberId, instanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, reader.Bytes(), reader.Bytes()));
        }

        return new GroupSnapshot(protocolType, generation, protocol, leader, stateTimestamp, members);
    }

    public readonly record struct OffsetKey(string Group, string Topic, int Partition);

    public readonly record struct GroupKey(string Group);

    public readonly record struct ShareGroupKey(string Group);

    public static byte[] ShareGroupMetadataKey(string group)
    {
        var writer = new Writer();
        writer.Int16(ShareGroupKeyVersion);
        writer.String(group);
        return writer.ToArray();
    }

    public static byte[] ShareGroupMetadataValue(int groupEpoch)
    {
        var writer = new Writer();
        writer.Int16(0);
        writer.Int32(groupEpoch);
        return writer.ToArray();
    }

    /// <exception cref="FormatException">the value is truncated or of an unknown version.</exception>
    public static int ReadShareGroupMetadataValue(ReadOnlySpan<byte> value)
    {
        var reader = new Reader(value);
        return reader.Int16() == 0 ? reader.Int32() : throw new FormatException("Unknown share group metadata value version.");
    }

    private sealed class Writer
    {
        private readonly MemoryStream _stream = new();

        public void Int16(short value)
        {
            Span<byte> scratch = stackalloc byte[2];
            BinaryPrimitives.WriteInt16BigEndian(scratch, value);
            _stream.Write(scratch);
        }

        public void Int32(int value)
        {
            Span<byte> scratch = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(scratch, value);
            _stream.Write(scratch);
        }

        public void Int64(long value)
        {
            Span<byte> scratch = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(scratch, value);
            _stream.Write(scratch);
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Int16(-1);
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            if (bytes.Length > short.MaxValue)
            {
                throw new ArgumentException("String longer than 32767 bytes.", nameof(value));
            }

            Int16((short)bytes.Length);
            _stream.Write(bytes);
        }

        public void Bytes(byte[] value)
        {
            Int32(value.Length);
            _stream.Write(value);
        }

        public byte[] ToArray() => _stream.ToArray();
    }

    private ref struct Reader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _position;

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public string? String()
        {
            var length = Int16();
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        public byte[] Bytes()
        {
            var length = Int32();
            return length < 0 ? [] : Take(length).ToArray();
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || _position + count > _span.Length)
            {
                throw new FormatException("Truncated record in __consumer_offsets.");
            }

            var slice = _span.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}

/// <summary>A committed offset as stored: offset, leader epoch (-1 unknown), the client's metadata string and commit time (ms).</summary>
public sealed record CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestamp);

/// <summary>A group's persisted state (the GroupMetadataValue record).</summary>
internal sealed record GroupSnapshot(string? ProtocolType, int Generation, string? ProtocolName, string? Leader, long CurrentStateTimestamp, IReadOnlyList<MemberSnapshot> Members);

/// <summary>One member in a <see cref="GroupSnapshot"/>: its subscription is the metadata of the group's chosen protocol.</summary>
internal sealed record MemberSnapshot(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, int RebalanceTimeoutMs, int SessionTimeoutMs, byte[] Subscription, byte[] Assignment);
