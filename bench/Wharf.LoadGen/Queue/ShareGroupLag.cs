using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// A share group's lag on one topic — the records from its start offset to the high watermark not yet acknowledged —
/// read with DescribeShareGroupOffsets (API 90) v1 over a raw connection, because Confluent.Kafka 2.16 has no share-group
/// admin call. The request goes to the bootstrap broker, which in the benchmark's single-broker setup coordinates every
/// group. Encodes and decodes just this one request and response (both flexible versions).
/// Thread-safety: stateless; one connection per call.
/// </summary>
public static class ShareGroupLag
{
    private const short ApiKey = 90;
    private const short ApiVersion = 1;
    private const int CorrelationId = 1;

    /// <summary>Sum of the lag over partitions 0 .. <paramref name="partitions"/> − 1; −1 if any partition's lag is unknown.</summary>
    /// <exception cref="InvalidOperationException">The broker answered with an error for the group or a partition.</exception>
    public static async Task<long> SumAsync(string bootstrapServers, string group, string topic, int partitions, CancellationToken cancellationToken)
    {
        var (host, port) = FirstServer(bootstrapServers);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Request(group, topic, partitions), cancellationToken).ConfigureAwait(false);

        var sizeBytes = new byte[4];
        await stream.ReadExactlyAsync(sizeBytes, cancellationToken).ConfigureAwait(false);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(sizeBytes)];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return SumLag(body);
    }

    private static byte[] Request(string group, string topic, int partitions)
    {
        var writer = new Writer();
        writer.Int16(ApiKey);
        writer.Int16(ApiVersion);
        writer.Int32(CorrelationId);
        writer.Int16((short)"wharf-loadgen".Length); // header v2: client_id is a classic nullable string
        writer.Bytes(Encoding.UTF8.GetBytes("wharf-loadgen"));
        writer.UVarInt(0); // header tagged fields
        writer.UVarInt(1 + 1); // Groups: one
        writer.CompactString(group);
        writer.UVarInt(1 + 1); // Topics: one
        writer.CompactString(topic);
        writer.UVarInt((uint)partitions + 1);
        for (var p = 0; p < partitions; p++)
        {
            writer.Int32(p);
        }

        writer.UVarInt(0); // topic tagged fields
        writer.UVarInt(0); // group tagged fields
        writer.UVarInt(0); // request tagged fields
        var payload = writer.ToArray();
        var framed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, payload.Length);
        payload.CopyTo(framed, 4);
        return framed;
    }

    private static long SumLag(byte[] body)
    {
        var reader = new Reader(body);
        if (reader.Int32() != CorrelationId)
        {
            throw new InvalidOperationException("DescribeShareGroupOffsets: unexpected correlation id");
        }

        reader.SkipTaggedFields(); // response header v1
        reader.Int32(); // ThrottleTimeMs
        long sum = 0;
        var unknown = false;
        var groups = reader.CompactLength();
        for (var g = 0; g < groups; g++)
        {
            var group = reader.CompactString();
            var topics = reader.CompactLength();
            for (var t = 0; t < topics; t++)
            {
                var topic = reader.CompactString();
                reader.Skip(16); // TopicId
                var count = reader.CompactLength();
                for (var p = 0; p < count; p++)
                {
                    var partition = reader.Int32();
                    reader.Int64(); // StartOffset
                    reader.Int32(); // LeaderEpoch
                    var lag = reader.Int64();
                    var error = reader.Int16();
                    var message = reader.CompactString();
                    reader.SkipTaggedFields();
                    if (error != 0)
                    {
                        throw new InvalidOperationException($"DescribeShareGroupOffsets {group} {topic}-{partition}: error {error} {message}");
                    }

                    unknown |= lag < 0;
                    sum += Math.Max(lag, 0);
                }

                reader.SkipTaggedFields();
            }

            var groupError = reader.Int16();
            var groupMessage = reader.CompactString();
            reader.SkipTaggedFields();
            if (groupError != 0)
            {
                throw new InvalidOperationException($"DescribeShareGroupOffsets {group}: error {groupError} {groupMessage}");
            }
        }

        return unknown ? -1 : sum;
    }

    private static (string Host, int Port) FirstServer(string bootstrapServers)
    {
        var first = bootstrapServers.Split(',')[0].Trim();
        var colon = first.LastIndexOf(':');
        return (first[..colon], int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public void Int16(short value) => Bytes([(byte)(value >> 8), (byte)value]);

        public void Int32(int value) => Bytes([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

        public void UVarInt(uint value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }

        public void CompactString(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            UVarInt((uint)bytes.Length + 1);
            Bytes(bytes);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                _bytes.Add(b);
            }
        }

        public byte[] ToArray() => [.. _bytes];
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public void Skip(int count) => Take(count);

        public uint UVarInt()
        {
            uint value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = Take(1)[0];
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        /// <summary>A compact array's element count (−1 for null).</summary>
        public int CompactLength() => (int)UVarInt() - 1;

        public string? CompactString()
        {
            var length = CompactLength();
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        public void SkipTaggedFields()
        {
            var count = UVarInt();
            for (var i = 0; i < count; i++)
            {
                UVarInt(); // tag
                Skip((int)UVarInt());
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            var slice = _bytes.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
