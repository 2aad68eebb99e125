using System.Text;
using System.Text.Unicode;

namespace Wharf.Server.Http.Api;

/// <summary>
/// How a key, value or header value is shown: as text when its bytes are valid UTF-8 without NUL characters, else
/// base64; never more than <see cref="MaxPreviewBytes"/> of it (cut on a character boundary, <c>truncated</c> set).
/// <c>size</c> is always the full length. Stateless.
/// </summary>
public static class PayloadPreview
{
    /// <summary>The most bytes of one key, value or header value the API returns.</summary>
    public const int MaxPreviewBytes = 16 * 1024;

    public static PayloadView Of(ReadOnlySpan<byte> bytes)
    {
        var truncated = bytes.Length > MaxPreviewBytes;
        var shown = truncated ? bytes[..MaxPreviewBytes] : bytes;
        if (IsText(shown, truncated, out var textLength))
        {
            return new PayloadView("utf8", Encoding.UTF8.GetString(shown[..textLength]), bytes.Length, truncated);
        }

        return new PayloadView("base64", Convert.ToBase64String(shown), bytes.Length, truncated);
    }

    /// <summary>The bytes of a payload given as <paramref name="data"/> in <paramref name="encoding"/> (<c>utf8</c>, the default, or <c>base64</c>).</summary>
    public static byte[] Decode(string data, string? encoding, string field)
    {
        switch (encoding ?? "utf8")
        {
            case "utf8":
                return Encoding.UTF8.GetBytes(data);
            case "base64":
                try
                {
                    return Convert.FromBase64String(data);
                }
                catch (FormatException)
                {
                    throw ApiException.BadRequest($"'{field}' is not valid base64");
                }

            default:
                throw ApiException.BadRequest($"'{field}_encoding' must be 'utf8' or 'base64'");
        }
    }

    /// <summary>
    /// True when <paramref name="bytes"/> read as text; a cut preview may end inside a character, which is then left out
    /// (<paramref name="length"/> is how many bytes to decode).
    /// </summary>
    private static bool IsText(ReadOnlySpan<byte> bytes, bool cut, out int length)
    {
        length = bytes.Length;
        if (bytes.Contains((byte)0))
        {
            return false;
        }

        for (var drop = 0; drop <= (cut ? 3 : 0) && drop <= bytes.Length; drop++)
        {
            if (Utf8.IsValid(bytes[..(bytes.Length - drop)]))
            {
                length = bytes.Length - drop;
                return true;
            }
        }

        return false;
    }
}
