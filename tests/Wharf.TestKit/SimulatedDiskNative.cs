using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Wharf.TestKit;

/// <summary>A file's identity across renames: its inode number and birth time (an inode number alone is reused).</summary>
internal readonly record struct FileId(ulong Inode, long BirthSeconds, uint BirthNanoseconds);

/// <summary>
/// The Linux calls <see cref="SimulatedDisk"/> needs that .NET does not offer: <c>statx</c> for a file's identity,
/// and reading a file through its descriptor's <c>/proc/self/fd</c> link with plain <c>open</c>/<c>pread</c> (a
/// .NET open would honour the advisory lock of a file opened with <c>FileShare.None</c>).
/// </summary>
internal static class Native
{
    private const int AtCurrentDirectory = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1, StatxIno = 0x100, StatxBtime = 0x800;
    private const int StatxSize = 256;
    private const int ModeOffset = 28, InodeOffset = 32, BirthTimeOffset = 80;
    private const ushort TypeMask = 0xF000, Directory = 0x4000;
    private const int ReadOnly = 0;

    /// <summary>The identity of the file or directory at <paramref name="path"/> (not following a final symlink).</summary>
    public static (FileId Id, bool IsDirectory) Identify(string path) => Identify(AtCurrentDirectory, path, AtSymlinkNoFollow);

    /// <summary>The identity of the file open as descriptor <paramref name="fd"/>.</summary>
    public static FileId IdentifyDescriptor(int fd) => Identify(fd, "", AtEmptyPath).Id;

    private static (FileId Id, bool IsDirectory) Identify(int directoryFd, string path, int flags)
    {
        var buffer = new byte[StatxSize];
        if (Statx(directoryFd, path, flags, StatxType | StatxIno | StatxBtime, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == 2 ? new FileNotFoundException($"statx {path}: no such file", path) : new IOException($"statx {path} failed (errno {errno}).");
        }

        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(ModeOffset));
        var id = new FileId(
            BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(InodeOffset)),
            BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(BirthTimeOffset)),
            BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(BirthTimeOffset + 8)));
        return (id, (mode & TypeMask) == Directory);
    }

    /// <summary>The whole contents of the open file descriptor <paramref name="fd"/>, whatever mode it was opened in.</summary>
    public static byte[] ReadAll(int fd)
    {
        var reader = Open($"/proc/self/fd/{fd}", ReadOnly);
        if (reader < 0)
        {
            throw new IOException($"Cannot reopen descriptor {fd} for reading (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            using var contents = new MemoryStream();
            var chunk = new byte[1 << 16];
            long offset = 0;
            while (true)
            {
                var n = (long)Pread(reader, chunk, chunk.Length, offset);
                if (n < 0)
                {
                    throw new IOException($"pread of descriptor {fd} failed (errno {Marshal.GetLastPInvokeError()}).");
                }

                if (n == 0)
                {
                    return contents.ToArray();
                }

                contents.Write(chunk, 0, (int)n);
                offset += n;
            }
        }
        finally
        {
            _ = Close(reader);
        }
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static extern nint Pread(int fd, byte[] buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
