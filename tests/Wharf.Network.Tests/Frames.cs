using System.Buffers.Binary;
using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>Builds the bytes tests send: size-prefixed frames, seeded payloads, minimal request headers.</summary>
internal static class Frames
{
    /// <summary>A 4-byte big-endian size, then <paramref name="body"/>.</summary>
    public static byte[] Prefixed(ReadOnlySpan<byte> body) => [.. Prefix(body.Length), .. body];

    public static byte[] Prefix(int size)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, size);
        return prefix;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A framed request: API key, version 0, correlation id, then <paramref name="rest"/>.</summary>
    public static byte[] Request(ApiKey key, int correlationId, ReadOnlySpan<byte> rest)
    {
        var body = new byte[8 + rest.Length];
        BinaryPrimitives.WriteInt16BigEndian(body, (short)key);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), correlationId);
        rest.CopyTo(body.AsSpan(8));
        return Prefixed(body);
    }
}
