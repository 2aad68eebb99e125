using System.Buffers.Binary;
using System.Text;
using Wharf.Common;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The records of <c>__transaction_state</c>, in Kafka's schemas (<c>TransactionLogKey</c> v0,
/// <c>TransactionLogValue</c> v0), so Kafka's tools decode our topic. Big-endian; a string is an int16 length and
/// UTF-8 bytes; an array an int32 count (-1 = null).
/// <code>
/// Key   v0  version int16 (0), transactional_id string
/// Value v0  version int16 (0), producer_id int64, producer_epoch int16, transaction_timeout_ms int32,
///           transaction_status int8 (<see cref="TransactionState"/>),
///           transaction_partitions [topic string, partition_ids [int32]] (null allowed),
///           transaction_last_update_timestamp_ms int64, transaction_start_timestamp_ms int64
/// </code>
/// A null value (tombstone) removes the id; compaction keeps the newest record per id. Value v1 (flexible, KIP-890
/// part 2 tagged fields) is read by skipping its tagged fields; it is not written.
/// Thread-safety: stateless.
/// </summary>
public static class TransactionLogRecords
{
    public const short KeyVersion = 0;
    public const short ValueVersion = 0;

    public static byte[] Key(string transactionalId)
    {
        var id = Encoding.UTF8.GetBytes(transactionalId);
        var bytes = new byte[2 + 2 + id.Length];
        BinaryPrimitives.WriteInt16BigEndian(bytes, KeyVersion);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2), (short)id.Length);
        id.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>The transactional id of a key; null for a key version this broker does not know.</summary>
    /// <exception cref="FormatException">malformed.</exception>
    public static string? ReadKey(ReadOnlySpan<byte> key)
    {
        var reader = new Reader(key);
        return reader.Int16() != KeyVersion ? null : reader.String() ?? throw new FormatException("null transactional id");
    }

    public static byte[] Value(TransactionSnapshot snapshot)
    {
        using var stream = new MemoryStream();
        var buffer = new byte[8];
        void Int16(short v)
        {
            BinaryPrimitives.WriteInt16BigEndian(buffer, v);
            stream.Write(buffer, 0, 2);
        }

        void Int32(int v)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, v);
            stream.Write(buffer, 0, 4);
        }

        void Int64(long v)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer, v);
            stream.Write(buffer, 0, 8);
        }

        void String(string v)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            Int16((short)bytes.Length);
            stream.Write(bytes);
        }

        Int16(ValueVersion);
        Int64(snapshot.ProducerId);
        Int16(snapshot.ProducerEpoch);
        Int32(snapshot.TimeoutMs);
        stream.WriteByte((byte)snapshot.State);
        var byTopic = snapshot.Partitions.GroupBy(p => p.Topic).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Int32(byTopic.Count);
        foreach (var topic in byTopic)
        {
            String(topic.Key);
            var partitions = topic.Select(p => p.Partition).Order().ToList();
            Int32(partitions.Count);
            partitions.ForEach(Int32);
        }

        Int64(snapshot.LastUpdateTimestampMs);
        Int64(snapshot.StartTimestampMs);
        return stream.ToArray();
    }

    /// <exception cref="FormatException">malformed or of an unknown version.</exception>
    public static TransactionSnapshot ReadValue(ReadOnlySpan<byte> value)
    {
        var reader = new Reader(value);
        var version = reader.Int16();
        if (version is < 0 or > 1)
        {
            throw new FormatException($"unknown transaction log value version {version}");
        }

        var flexible = version >= 1;
        var producerId = reader.Int64();
        var epoch = reader.Int16();
        var timeout = reader.Int32();
        var state = (TransactionState)reader.Byte();
        var partitions = new List<TopicPartition>();
        var topics = flexible ? reader.UnsignedVarint() - 1 : reader.Int32();
        for (var t = 0; t < topics; t++)
        {
            var topic = (flexible ? reader.CompactString() : reader.String()) ?? throw new FormatException("null topic");
            var count = flexible ? reader.UnsignedVarint() - 1 : reader.Int32();
            for (var p = 0; p < count; p++)
            {
                partitions.Add(new TopicPartition(topic, reader.Int32()));
            }

            if (flexible)
            {
                reader.SkipTaggedFields();
            }
        }

        var lastUpdate = reader.Int64();
        var start = reader.Int64();
        return new TransactionSnapshot(producerId, epoch, timeout, state, partitions, lastUpdate, start);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public byte Byte() => Take(1)[0];

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public string? String()
        {
            var length = Int16();
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        public string? CompactString()
        {
            var length = UnsignedVarint() - 1;
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        public int UnsignedVarint()
        {
            var result = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                var b = Byte();
                result |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new FormatException("varint too long");
        }

        public void SkipTaggedFields()
        {
            var count = UnsignedVarint();
            for (var i = 0; i < count; i++)
            {
                UnsignedVarint();
                Take(UnsignedVarint());
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _data.Length)
            {
                throw new FormatException("truncated transaction log record");
            }

            var taken = _data[..count];
            _data = _data[count..];
            return taken;
        }
    }
}
