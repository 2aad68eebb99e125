using System.Buffers.Binary;

namespace Wharf.LoadGen.Queue;

/// <summary>
/// The queue benchmark's message: the first 16 bytes are its sequence number (0 .. count−1) and the run's tag, both
/// little-endian int64; the rest is random filler. The tag tells a message of this run from one left over by another
/// (a warm-up, an earlier run), which the <see cref="QueueTally"/> counts as foreign.
/// Thread-safety: stateless.
/// </summary>
public static class QueueMessage
{
    public const int HeaderBytes = 16;

    /// <summary>Writes <paramref name="sequence"/> and <paramref name="runTag"/> into the head of <paramref name="payload"/>.</summary>
    public static void Stamp(Span<byte> payload, long sequence, long runTag)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], runTag);
    }

    /// <summary>The sequence number of a message of run <paramref name="runTag"/>, or −1 for anything else (another
    /// run's message, or one too short to carry a header).</summary>
    public static long SequenceOf(ReadOnlySpan<byte> payload, long runTag) =>
        payload.Length >= HeaderBytes && BinaryPrimitives.ReadInt64LittleEndian(payload[8..]) == runTag
            ? BinaryPrimitives.ReadInt64LittleEndian(payload)
            : -1;

    /// <summary><paramref name="count"/> buffers of <paramref name="size"/> random bytes (seeded, so every run sends
    /// the same filler): a producer with up to <paramref name="count"/> − 1 publishes outstanding stamps message
    /// <c>i</c> into buffer <c>i % count</c>, which the publish <paramref name="count"/> before it no longer needs.</summary>
    public static byte[][] Ring(int count, int size)
    {
        var random = new Random(size);
        var ring = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            ring[i] = new byte[Math.Max(size, HeaderBytes)];
            random.NextBytes(ring[i]);
        }

        return ring;
    }
}
