using System.Buffers;
using Wharf.Common;

namespace Wharf.Common.Tests;

public class VarintTests
{
    public static TheoryData<int, byte[]> KnownVarints => new()
    {
        { 0, [0x00] },
        { -1, [0x01] },
        { 1, [0x02] },
        { 63, [0x7E] },
        { -64, [0x7F] },
        { 64, [0x80, 0x01] },
        { 300, [0xD8, 0x04] },
        { int.MaxValue, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F] },
        { int.MinValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
    };

    [Theory]
    [MemberData(nameof(KnownVarints))]
    public void WriteVarint_OfAKnownValue_ProducesKafkasBytes(int value, byte[] expected)
    {
        var buffer = new byte[5];
        var written = Varint.WriteVarint(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOfVarint(value));
    }

    [Theory]
    [MemberData(nameof(KnownVarints))]
    public void DecodeVarint_OfKafkasBytes_ReturnsTheValue(int expected, byte[] bytes)
    {
        Assert.Equal(OperationStatus.Done, Varint.DecodeVarint(bytes, out var value, out var consumed));
        Assert.Equal(expected, value);
        Assert.Equal(bytes.Length, consumed);
    }

    [Fact]
    public void DecodeVarint_WithASixthByte_IsInvalidData()
    {
        byte[] overlong = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.Equal(OperationStatus.InvalidData, Varint.DecodeVarint(overlong, out _, out var consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void DecodeVarint_WhoseFifthByteCarriesBitsBeyond32_IsInvalidData()
    {
        Assert.Equal(OperationStatus.InvalidData, Varint.DecodeVarint([0xFF, 0xFF, 0xFF, 0xFF, 0x1F], out _, out _));
    }

    [Fact]
    public void DecodeVarlong_WithAnEleventhByte_IsInvalidData()
    {
        var overlong = Enumerable.Repeat((byte)0x80, 10).Append((byte)0x00).ToArray();
        Assert.Equal(OperationStatus.InvalidData, Varint.DecodeVarlong(overlong, out _, out _));
        Assert.Equal(OperationStatus.InvalidData, Varint.DecodeVarlong([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], out _, out _));
    }

    [Fact]
    public void DecodeVarlong_OfTheExtremes_RoundTrips()
    {
        var buffer = new byte[10];
        foreach (var value in new[] { long.MinValue, long.MaxValue, 0L, -1L, 1L << 40 })
        {
            var written = Varint.WriteVarlong(buffer, value);
            Assert.Equal(OperationStatus.Done, Varint.DecodeVarlong(buffer.AsSpan(0, written), out var read, out var consumed));
            Assert.Equal(value, read);
            Assert.Equal(written, consumed);
        }
    }

    [Fact]
    public void Decode_OfATruncatedVarint_NeedsMoreData()
    {
        Assert.Equal(OperationStatus.NeedMoreData, Varint.DecodeVarint([], out _, out _));
        Assert.Equal(OperationStatus.NeedMoreData, Varint.DecodeVarint([0x80, 0x80], out _, out _));
        Assert.Equal(OperationStatus.NeedMoreData, Varint.DecodeVarlong([0xFF], out _, out _));
        Assert.Equal(OperationStatus.NeedMoreData, Varint.DecodeUnsignedVarint([0xFF, 0xFF, 0xFF, 0xFF], out _, out _));
        Assert.False(Varint.TryReadVarint([0x80], out _, out _));
    }

    [Fact]
    public void TryWrite_IntoATooShortDestination_ReturnsFalseAndWriteThrows()
    {
        var buffer = new byte[1];
        Assert.False(Varint.TryWriteVarint(buffer, 300, out var written));
        Assert.Equal(0, written);
        Assert.Throws<ArgumentException>(() => Varint.WriteVarlong(buffer, long.MaxValue));
    }

    [Fact]
    public void UnsignedVarint_OfProtocolExamples_MatchesLeb128()
    {
        var buffer = new byte[5];
        Assert.Equal(2, Varint.WriteUnsignedVarint(buffer, 300));
        Assert.Equal(new byte[] { 0xAC, 0x02 }, buffer[..2]);
        Assert.True(Varint.TryReadUnsignedVarint(buffer, out var value, out _));
        Assert.Equal(300u, value);
        Assert.Equal(5, Varint.SizeOfUnsignedVarint(uint.MaxValue));
    }

    [Fact]
    public void RoundTrip_OfSeededRandomValues_PreservesValueAndSize()
    {
        const int seed = 1234;
        var random = new Random(seed);
        var buffer = new byte[10];
        for (var i = 0; i < 100_000; i++)
        {
            var bits = random.Next(65);
            var value = bits == 64 ? random.NextInt64() : random.NextInt64() >> (64 - Math.Max(bits, 1));
            var written = Varint.WriteVarlong(buffer, value);
            Assert.True(written == Varint.SizeOfVarlong(value), $"size of {value}, seed {seed}");
            Assert.True(Varint.DecodeVarlong(buffer.AsSpan(0, written), out var read, out _) == OperationStatus.Done && read == value, $"value {value}, seed {seed}");

            var small = (int)value;
            written = Varint.WriteVarint(buffer, small);
            Assert.True(written == Varint.SizeOfVarint(small), $"size of {small}, seed {seed}");
            Assert.True(Varint.DecodeVarint(buffer.AsSpan(0, written), out var readSmall, out _) == OperationStatus.Done && readSmall == small, $"value {small}, seed {seed}");
        }
    }

    [Fact]
    public void Decode_OfSeededRandomBytes_NeverThrowsAndConsumesWhatItSays()
    {
        const int seed = 99;
        var random = new Random(seed);
        var buffer = new byte[12];
        for (var i = 0; i < 100_000; i++)
        {
            random.NextBytes(buffer);
            var length = random.Next(buffer.Length + 1);
            var status = Varint.DecodeVarlong(buffer.AsSpan(0, length), out var value, out var consumed);
            if (status == OperationStatus.Done)
            {
                Assert.True(consumed == Varint.SizeOfVarlong(value) || buffer[consumed - 1] == 0, $"seed {seed} iteration {i}");
            }
            else
            {
                Assert.Equal(0, consumed);
            }

            _ = Varint.DecodeVarint(buffer.AsSpan(0, length), out _, out _);
        }
    }
}
