using Microsoft.Win32.SafeHandles;

namespace Wharf.Common;

/// <summary>
/// The operations that decide what survives a power loss: writes of data Wharf must not lose, fsync of a file and
/// fsync of a directory. Every such call in the storage layer, the metadata log and the atomic file replacement of
/// <see cref="DurableFiles"/> goes through one instance, so a test can put a disk in between that remembers what
/// was made durable and throws the rest away at a simulated power cut, or that fails a write (disk full) or an
/// fsync (device error) on purpose. Reads, creates, renames and deletes are not routed: a crash cannot change what
/// a read returned, and whether a rename or a delete survived is decided by the directory's fsync.
/// <para>
/// Contract: <see cref="Fsync"/> returns only once every byte written to the file before the call, and its size,
/// are durable; <see cref="FsyncDirectory"/> once the directory's entries (creates, renames, deletes) are. A failed
/// fsync throws <see cref="IOException"/>, and the caller must not assume anything written since the last
/// successful fsync of that file is on disk — not even after a later fsync succeeds (the kernel may have dropped
/// the dirty pages and cleared the error).
/// </para>
/// Thread-safety: implementations are safe from any thread.
/// </summary>
public interface IDisk
{
    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/> of the open file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">the write failed (e.g. no space left); a prefix of the bytes may have been written.</exception>
    void Write(SafeFileHandle file, string path, ReadOnlySpan<byte> bytes, long offset);

    /// <summary>fsyncs the open file at <paramref name="path"/>: its data and metadata.</summary>
    void Fsync(SafeFileHandle file, string path);

    /// <summary>fsyncs a directory so that creates, renames and deletes in it survive a crash.</summary>
    void FsyncDirectory(string directory);
}

/// <summary>The machine's own file system: <see cref="IDisk"/> straight onto the operating system's calls.</summary>
public sealed class LocalDisk : IDisk
{
    private LocalDisk()
    {
    }

    /// <summary>The one instance (stateless).</summary>
    public static LocalDisk Instance { get; } = new();

    public void Write(SafeFileHandle file, string path, ReadOnlySpan<byte> bytes, long offset) => RandomAccess.Write(file, bytes, offset);

    public void Fsync(SafeFileHandle file, string path) => RandomAccess.FlushToDisk(file);

    public void FsyncDirectory(string directory) => DurableFiles.FsyncDirectory(directory);
}
