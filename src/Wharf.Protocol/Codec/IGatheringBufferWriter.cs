using System.Buffers;

namespace Wharf.Protocol.Codec;

/// <summary>
/// An output that can take a large byte range by reference instead of by copy: the range goes out in its place in a
/// gathered send, so record batches read for a Fetch are not copied a second time into the response.
/// The caller keeps the bytes unchanged until the output has been sent.
/// </summary>
public interface IGatheringBufferWriter : IBufferWriter<byte>
{
    /// <summary>Appends <paramref name="bytes"/> by reference, after everything advanced so far.</summary>
    void WriteReference(ReadOnlyMemory<byte> bytes);
}
