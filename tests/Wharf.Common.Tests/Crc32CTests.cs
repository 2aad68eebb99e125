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
}
