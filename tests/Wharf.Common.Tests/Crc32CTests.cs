using System.Text;
using Wharf.Common;

namespace Wharf.Common.Tests;

public class Crc32CTests
{
    [Fact]
    public void Compute_OfTheStandardCheckString_IsTheCatalogueValue()
    {
        // "123456789" is the check input of the CRC catalogue; CRC-32C's check value is 0xE3069283.
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Compute_OfNothing_IsZero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Compute_Of32Zeros_IsTheRfc3720Value()
    {
        // RFC 3720 (iSCSI) appendix B.4 test vectors.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1000)]
    public void Append_InTwoParts_EqualsComputeOverTheWhole(int split)
    {
        var data = new byte[1000];
        new Random(42).NextBytes(data);
        var whole = Crc32C.Compute(data);
        var parts = Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split));
        Assert.Equal(whole, parts);
    }

    [Fact]
    public void Compute_AtEveryLengthAndAlignment_EqualsTheBitwiseReference()
    {
        // Lengths straddle the short (3 x 256) and long (3 x 8 KiB) lane thresholds; offsets vary alignment.
        const int seed = 20240611;
        var random = new Random(seed);
        var data = new byte[(3 * 8192 * 2) + 1000];
        random.NextBytes(data);
        int[] lengths = [0, 1, 7, 8, 9, 767, 768, 769, 1535, 1536, 24575, 24576, 24577, 49152, 49160, 50000, data.Length - 8];
        foreach (var length in lengths)
        {
            for (var offset = 0; offset < 8; offset++)
            {
                var slice = data.AsSpan(offset, Math.Min(length, data.Length - offset));
                Assert.True(Reference(slice) == Crc32C.Compute(slice), $"length {slice.Length} offset {offset} seed {seed}");
            }
        }

        for (var i = 0; i < 200; i++)
        {
            var length = random.Next(data.Length);
            var offset = random.Next(data.Length - length);
            var slice = data.AsSpan(offset, length);
            Assert.True(Reference(slice) == Crc32C.Compute(slice), $"length {length} offset {offset} seed {seed}");
        }
    }

    [Fact]
    public void Append_OverManyUnevenChunksOfALargeInput_EqualsComputeOverTheWhole()
    {
        const int seed = 7;
        var random = new Random(seed);
        var data = new byte[1 << 20];
        random.NextBytes(data);
        var crc = 0u;
        var position = 0;
        while (position < data.Length)
        {
            var chunk = Math.Min(random.Next(1, 70_000), data.Length - position);
            crc = Crc32C.Append(crc, data.AsSpan(position, chunk));
            position += chunk;
        }

        Assert.True(Crc32C.Compute(data) == crc, $"seed {seed}");
        Assert.Equal(Reference(data), crc);
    }

    /// <summary>The textbook bit-at-a-time CRC-32C.</summary>
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
