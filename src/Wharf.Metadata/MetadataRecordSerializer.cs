using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// The binary encoding of <see cref="MetadataRecord"/>s, used by the embedded log and its snapshots. All integers
/// are little-endian; a UUID is 16 bytes, most significant first (as Kafka's <c>Uuid</c> on the wire).
/// <code>
/// record          := type:u8 version:u8 body            (version 0 unless a type lists others)
/// string          := length:i32 utf8-bytes              (length -1 = null)
/// int32s          := count:i32 i32*
///
/// type 1 TopicRecord          name:string topicId:uuid
/// type 2 PartitionRecord v0   topicId:uuid partition:i32 replicas:int32s isr:int32s leader:i32 leaderEpoch:i32 partitionEpoch:i32
///                        v1   v0's fields, then addingReplicas:int32s removingReplicas:int32s
///                             (v1 is written only while a reassignment is in progress; a partition without one is
///                             written as v0, so logs and snapshots without reassignments stay readable by builds that
///                             know only v0; v0 reads as no reassignment)
/// type 3 ConfigRecord         resourceType:i8 resourceName:string name:string value:string(nullable)
/// type 4 RemoveTopicRecord    topicId:uuid
/// type 5 ProducerIdsRecord    brokerId:i32 brokerEpoch:i64 nextProducerId:i64
/// type 6 RegisterBrokerRecord brokerId:i32 incarnationId:uuid endpoints:count:i32 (name:string host:string port:i32)* rack:string(nullable)
/// type 7 BrokerRegistrationChangeRecord brokerId:i32 incarnationId:uuid fenced:u8 (0 or 1)
/// </code>
/// A new field means a new version of that type; readers reject versions they do not know rather than guess.
/// Thread-safety: stateless.
/// </summary>
public static class MetadataRecordSerializer
{
    private const byte Version = 0;

    /// <summary>PartitionRecord with adding and removing replicas (a reassignment in progress).</summary>
    private const byte PartitionWithReassignment = 1;

    private enum RecordType : byte
    {
        Topic = 1,
        Partition = 2,
        Config = 3,
        RemoveTopic = 4,
        ProducerIds = 5,
        RegisterBroker = 6,
        BrokerRegistrationChange = 7,
    }

    /// <summary>Appends the encoding of <paramref name="record"/> to <paramref name="output"/>.</summary>
    public static void Write(MetadataRecord record, IBufferWriter<byte> output)
    {
        var writer = new Writer(output);
        switch (record)
        {
            case TopicRecord r:
                writer.Header(RecordType.Topic);
                writer.String(r.Name);
                writer.Uuid(r.TopicId);
                break;
            case PartitionRecord r:
                var reassigning = !r.AddingReplicas.IsEmpty || !r.RemovingReplicas.IsEmpty;
                writer.Header(RecordType.Partition, reassigning ? PartitionWithReassignment : Version);
                writer.Uuid(r.TopicId);
                writer.Int32(r.Partition);
                writer.Int32s(r.Replicas);
                writer.Int32s(r.Isr);
                writer.Int32(r.Leader);
                writer.Int32(r.LeaderEpoch);
                writer.Int32(r.PartitionEpoch);
                if (reassigning)
                {
                    writer.Int32s(r.AddingReplicas);
                    writer.Int32s(r.RemovingReplicas);
                }

                break;
            case ConfigRecord r:
                writer.Header(RecordType.Config);
                writer.Byte((byte)r.ResourceType);
                writer.String(r.ResourceName);
                writer.String(r.Name);
                writer.String(r.Value);
                break;
            case RemoveTopicRecord r:
                writer.Header(RecordType.RemoveTopic);
                writer.Uuid(r.TopicId);
                break;
            case ProducerIdsRecord r:
                writer.Header(RecordType.ProducerIds);
                writer.Int32(r.BrokerId);
                writer.Int64(r.BrokerEpoch);
                writer.Int64(r.NextProducerId);
                break;
            case RegisterBrokerRecord r:
                writer.Header(RecordType.RegisterBroker);
                writer.Int32(r.BrokerId);
                writer.Uuid(r.IncarnationId);
                writer.Int32(r.Endpoints.Length);
                foreach (var endpoint in r.Endpoints)
                {
                    writer.String(endpoint.Name);
                    writer.String(endpoint.Host);
                    writer.Int32(endpoint.Port);
                }

                writer.String(r.Rack);
                break;
            case BrokerRegistrationChangeRecord r:
                writer.Header(RecordType.BrokerRegistrationChange);
                writer.Int32(r.BrokerId);
                writer.Uuid(r.IncarnationId);
                writer.Byte(r.Fenced ? (byte)1 : (byte)0);
                break;
            default:
                throw new ArgumentException($"Unknown metadata record {record.GetType().Name}.", nameof(record));
        }
    }

    /// <summary>The encoding of one record.</summary>
    public static byte[] Serialize(MetadataRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(record, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one record that fills <paramref name="data"/> exactly.</summary>
    /// <exception cref="InvalidDataException">unknown type or version, truncated or trailing bytes.</exception>
    public static MetadataRecord Deserialize(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        var type = (RecordType)reader.Byte();
        var version = reader.Byte();
        if (version != Version && !(type == RecordType.Partition && version == PartitionWithReassignment))
        {
            throw new InvalidDataException($"Metadata record type {type} has unknown version {version}.");
        }

        MetadataRecord record = type switch
        {
            RecordType.Topic => new TopicRecord(reader.RequiredString(), reader.Uuid()),
            RecordType.Partition => ReadPartition(ref reader, version),
            RecordType.Config => new ConfigRecord((ConfigResourceType)(sbyte)reader.Byte(), reader.RequiredString(), reader.RequiredString(), reader.String()),
            RecordType.RemoveTopic => new RemoveTopicRecord(reader.Uuid()),
            RecordType.ProducerIds => new ProducerIdsRecord(reader.Int32(), reader.Int64(), reader.Int64()),
            RecordType.RegisterBroker => new RegisterBrokerRecord(reader.Int32(), reader.Uuid(), reader.Endpoints(), reader.String()),
            RecordType.BrokerRegistrationChange => new BrokerRegistrationChangeRecord(reader.Int32(), reader.Uuid(), reader.Byte() switch
            {
                0 => false,
                1 => true,
                var other => throw new InvalidDataException($"BrokerRegistrationChangeRecord fenced flag {other} is neither 0 nor 1."),
            }),
            _ => throw new InvalidDataException($"Unknown metadata record type {(byte)type}."),
        };
        if (!reader.AtEnd)
        {
            throw new InvalidDataException($"Metadata record type {type} has trailing bytes.");
        }

        return record;
    }

    private static PartitionRecord ReadPartition(ref Reader reader, byte version)
    {
        var record = new PartitionRecord(reader.Uuid(), reader.Int32(), reader.Int32s(), reader.Int32s(), reader.Int32(), reader.Int32(), reader.Int32());
        return version == PartitionWithReassignment
            ? record with { AddingReplicas = reader.Int32s(), RemovingReplicas = reader.Int32s() }
            : record;
    }

    private readonly ref struct Writer(IBufferWriter<byte> output)
    {
        private readonly IBufferWriter<byte> _output = output;

        public void Header(RecordType type, byte version = Version)
        {
            Byte((byte)type);
            Byte(version);
        }

        public void Byte(byte value)
        {
            _output.GetSpan(1)[0] = value;
            _output.Advance(1);
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_output.GetSpan(4), value);
            _output.Advance(4);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
            _output.Advance(8);
        }

        public void Uuid(Guid value)
        {
            value.TryWriteBytes(_output.GetSpan(16), bigEndian: true, out _);
            _output.Advance(16);
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Int32(-1);
                return;
            }

            var length = Encoding.UTF8.GetByteCount(value);
            Int32(length);
            Encoding.UTF8.GetBytes(value, _output.GetSpan(length));
            _output.Advance(length);
        }

        public void Int32s(ImmutableArray<int> values)
        {
            Int32(values.IsDefault ? 0 : values.Length);
            foreach (var value in values.IsDefault ? [] : values)
            {
                Int32(value);
            }
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public byte Byte() => Take(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public Guid Uuid() => new(Take(16), bigEndian: true);

        public string? String()
        {
            var length = Int32();
            return length switch
            {
                -1 => null,
                < -1 => throw new InvalidDataException($"Negative string length {length} in a metadata record."),
                _ => Encoding.UTF8.GetString(Take(length)),
            };
        }

        public string RequiredString() => String() ?? throw new InvalidDataException("A required string of a metadata record is null.");

        public ImmutableArray<int> Int32s()
        {
            var count = Count(4);
            var builder = ImmutableArray.CreateBuilder<int>(count);
            for (var i = 0; i < count; i++)
            {
                builder.Add(Int32());
            }

            return builder.MoveToImmutable();
        }

        public ImmutableArray<Listener> Endpoints()
        {
            var count = Count(12);
            var builder = ImmutableArray.CreateBuilder<Listener>(count);
            for (var i = 0; i < count; i++)
            {
                builder.Add(new Listener(RequiredString(), RequiredString(), Int32()));
            }

            return builder.MoveToImmutable();
        }

        /// <summary>An element count, checked against the bytes left before anything is allocated.</summary>
        private int Count(int minimumElementSize)
        {
            var count = Int32();
            if (count < 0 || (long)count * minimumElementSize > _data.Length - _position)
            {
                throw new InvalidDataException($"Element count {count} of a metadata record exceeds its size.");
            }

            return count;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _data.Length - _position)
            {
                throw new InvalidDataException("A metadata record is truncated.");
            }

            var slice = _data.Slice(_position, length);
            _position += length;
            return slice;
        }
    }
}
