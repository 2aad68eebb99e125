using System.Buffers.Binary;
using System.Text;

namespace Wharf.LoadGen.Cluster;

/// <summary>One broker's Metadata v4 answer: the live brokers it lists, the controller it names, and its topics.</summary>
public sealed record MetadataView(int ControllerId, IReadOnlyList<int> Brokers, IReadOnlyDictionary<string, TopicView> Topics)
{
    /// <summary>Whether <paramref name="topic"/> is listed without error, with <paramref name="partitions"/> partitions,
    /// every one without error and with a leader.</summary>
    public bool IsLed(string topic, int partitions) =>
        Topics.TryGetValue(topic, out var view) && view.ErrorCode == 0 && view.Partitions.Count == partitions
        && view.Partitions.All(p => p.ErrorCode == 0 && p.Leader >= 0);

    /// <summary>
    /// Decodes a response body (after the size prefix): header v0 (correlation id), then throttle time, brokers
    /// (node id, host, port, rack), cluster id, controller id, topics (error, name, internal flag, partitions: error,
    /// index, leader, replicas, ISR).
    /// </summary>
    /// <exception cref="FormatException">the body is truncated or answers another request.</exception>
    public static MetadataView Decode(ReadOnlySpan<byte> body, int expectedCorrelationId)
    {
        var reader = new Reader(body);
        if (reader.Int32() is var correlationId && correlationId != expectedCorrelationId)
        {
            throw new FormatException($"response to request {correlationId}, expected {expectedCorrelationId}");
        }

        reader.Int32(); // throttle_time_ms
        var brokers = new int[reader.Count()];
        for (var i = 0; i < brokers.Length; i++)
        {
            brokers[i] = reader.Int32();
            reader.String();
            reader.Int32();
            reader.String();
        }

        reader.String(); // cluster_id
        var controllerId = reader.Int32();
        var topicCount = reader.Count();
        var topics = new Dictionary<string, TopicView>(topicCount, StringComparer.Ordinal);
        for (var t = 0; t < topicCount; t++)
        {
            var error = reader.Int16();
            var name = reader.String() ?? "";
            reader.Byte(); // is_internal
            var partitions = new PartitionView[reader.Count()];
            for (var p = 0; p < partitions.Length; p++)
            {
                var partitionError = reader.Int16();
                var index = reader.Int32();
                var leader = reader.Int32();
                var replicas = reader.Int32Array();
                var isr = reader.Int32Array();
                partitions[p] = new PartitionView(index, partitionError, leader, replicas, isr);
            }

            topics[name] = new TopicView(name, error, partitions);
        }

        return new MetadataView(controllerId, brokers, topics);
    }

    /// <summary>Big-endian reads that throw <see cref="FormatException"/> past the end.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public byte Byte() => Take(1)[0];

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        /// <summary>An array length; null arrays (−1) count as empty.</summary>
        public int Count() => Math.Max(0, Int32());

        public string? String()
        {
            var length = Int16();
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        public int[] Int32Array()
        {
            var values = new int[Count()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Int32();
            }

            return values;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || _at + length > _data.Length)
            {
                throw new FormatException($"Metadata response truncated at byte {_at} of {_data.Length}");
            }

            var slice = _data.Slice(_at, length);
            _at += length;
            return slice;
        }
    }
}

public sealed record TopicView(string Name, short ErrorCode, IReadOnlyList<PartitionView> Partitions);

/// <summary>A partition as one broker reports it; <see cref="Leader"/> is −1 while it has none; <see cref="Isr"/> its
/// in-sync replicas.</summary>
public readonly record struct PartitionView(int Index, short ErrorCode, int Leader, int[] Replicas, int[] Isr);
