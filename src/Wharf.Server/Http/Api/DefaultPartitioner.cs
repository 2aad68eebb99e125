namespace Wharf.Server.Http.Api;

/// <summary>
/// Where a message produced through the API goes when no partition is given: a keyed message to the partition Kafka's
/// Java client picks for that key (murmur2 of the key bytes, made positive, modulo the partition count), so it lands
/// with the same key's messages from other producers; a message without a key to a random partition. Stateless.
/// </summary>
public static class DefaultPartitioner
{
    public static int Partition(ReadOnlySpan<byte> key, int partitions) =>
        (int)((uint)(Murmur2(key) & 0x7fffffff) % (uint)partitions);

    /// <summary>The 32-bit murmur2 hash with the seed Kafka's clients use (0x9747b28c).</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = data[i * 4] | ((uint)data[(i * 4) + 1] << 8) | ((uint)data[(i * 4) + 2] << 16) | ((uint)data[(i * 4) + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        var tail = blocks * 4;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
