using System.Text;
using Wharf.Server.Http.Api;

namespace Wharf.Console.Tests;

/// <summary>How the API shows keys, values and header values: text when it is text, base64 otherwise, never more than the preview limit.</summary>
public sealed class PayloadPreviewTests
{
    [Fact]
    public void Text_IsShownAsUtf8()
    {
        var view = PayloadPreview.Of(Encoding.UTF8.GetBytes("héllo ✓"));

        Assert.Equal(new PayloadView("utf8", "héllo ✓", 10, false), view);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe, 0x41 })]
    [InlineData(new byte[] { 0x41, 0x00, 0x42 })]
    [InlineData(new byte[] { 0xe2, 0x9c })]
    public void BytesThatAreNotText_AreShownAsBase64(byte[] bytes)
    {
        var view = PayloadPreview.Of(bytes);

        Assert.Equal("base64", view.Encoding);
        Assert.Equal(bytes, Convert.FromBase64String(view.Data));
        Assert.False(view.Truncated);
    }

    [Fact]
    public void LongText_IsCutOnACharacterBoundary()
    {
        // 2 bytes, then 3-byte characters: the limit falls inside one, which is left out.
        var text = "ab" + new string('✓', PayloadPreview.MaxPreviewBytes);

        var view = PayloadPreview.Of(Encoding.UTF8.GetBytes(text));

        Assert.True(view.Truncated);
        Assert.Equal("utf8", view.Encoding);
        Assert.Equal(2 + (3 * PayloadPreview.MaxPreviewBytes), view.Size);
        Assert.Equal(text[..(2 + ((PayloadPreview.MaxPreviewBytes - 2) / 3))], view.Data);
        Assert.True(Encoding.UTF8.GetByteCount(view.Data) < PayloadPreview.MaxPreviewBytes);
    }

    [Fact]
    public void LongBinary_IsCutAtTheLimit()
    {
        var bytes = Enumerable.Range(0, PayloadPreview.MaxPreviewBytes + 10).Select(i => (byte)(i % 7 == 0 ? 0 : i)).ToArray();

        var view = PayloadPreview.Of(bytes);

        Assert.True(view.Truncated);
        Assert.Equal(bytes[..PayloadPreview.MaxPreviewBytes], Convert.FromBase64String(view.Data));
    }

    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_MatchesKafkasClients(string key, int hash)
    {
        Assert.Equal(hash, DefaultPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));
    }
}
