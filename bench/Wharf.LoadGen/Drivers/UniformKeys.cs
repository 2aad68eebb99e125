namespace Wharf.LoadGen.Drivers;

/// <summary>
/// Message keys drawn uniformly from a fixed pool of <see cref="Count"/> distinct random 8-byte keys, for runs over
/// several partitions: a keyed message goes to the partition its key hashes to (librdkafka's default
/// <c>consistent_random</c> partitioner), so consecutive messages spread over all partitions, as a real keyed
/// workload's do. Unkeyed messages would not: librdkafka's sticky partitioner fills one partition's batch at a time.
/// Built once (512 KiB); a key is an array index and the producer copies it, so generating keys costs next to nothing.
/// Thread-safety: immutable after construction.
/// </summary>
public static class UniformKeys
{
    /// <summary>Distinct keys; a power of two, and 128 per partition at 512 partitions.</summary>
    public const int Count = 1 << 16;

    private static readonly byte[][] Keys = Build();

    /// <summary>The key of message <paramref name="index"/>: keys repeat every <see cref="Count"/> messages.</summary>
    public static byte[] For(long index) => Keys[index & (Count - 1)];

    private static byte[][] Build()
    {
        var random = new Random(20261125);
        var keys = new byte[Count][];
        var seen = new HashSet<long>();
        for (var i = 0; i < Count; i++)
        {
            var key = new byte[8];
            do
            {
                random.NextBytes(key);
            }
            while (!seen.Add(BitConverter.ToInt64(key)));

            keys[i] = key;
        }

        return keys;
    }
}
