namespace Wharf.Network;

/// <summary>
/// One piece of the bytes a connection is about to send: a range of an array, or a range of a file
/// (<see cref="File"/> not null) that goes out with <c>sendfile</c>.
/// </summary>
public readonly record struct ResponsePiece(ArraySegment<byte> Bytes, FileRegion? File = null, long FileOffset = 0, int FileLength = 0)
{
    public int Length => File is null ? Bytes.Count : FileLength;
}
