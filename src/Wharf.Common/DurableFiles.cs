using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Common;

/// <summary>
/// fsync helpers for every file Wharf must not lose: a directory's entries (so creates and renames survive a crash)
/// and atomic whole-file replacement (temp file, fsync, rename, fsync the directory), the latter through an
/// <see cref="IDisk"/> so a test disk sees every write and fsync. Thread-safety: stateless.
/// </summary>
public static partial class DurableFiles
{
    public const string TempSuffix = ".tmp";

    /// <summary>fsyncs a directory (Linux/macOS; a no-op on Windows, where NTFS journals renames).</summary>
    public static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Native.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Native.Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> so a crash leaves the old or the new file.
    /// <paramref name="fsynced"/> is told each path fsync'd (the temp file, then the directory).
    /// </summary>
    public static void WriteAtomically(IDisk disk, string path, ReadOnlySpan<byte> contents, Action<string>? fsynced = null)
    {
        Replace(disk, path, contents, fsync: true, fsynced);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        disk.FsyncDirectory(directory);
        fsynced?.Invoke(directory);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> through a temp file and a rename, without
    /// any fsync: a crash may leave the old file, the new one, or the new name with missing contents. Only for files
    /// that are checked when read (a CRC) and that can be done without; fsync the file later to make it durable.
    /// </summary>
    public static void ReplaceWithoutSync(IDisk disk, string path, ReadOnlySpan<byte> contents) => Replace(disk, path, contents, fsync: false, fsynced: null);

    /// <summary>Writes a temp file beside <paramref name="path"/> (fsync'd if asked) and renames it over the path.</summary>
    private static void Replace(IDisk disk, string path, ReadOnlySpan<byte> contents, bool fsync, Action<string>? fsynced)
    {
        var temp = path + TempSuffix;
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            disk.Write(handle, temp, contents, 0);
            if (fsync)
            {
                disk.Fsync(handle, temp);
                fsynced?.Invoke(temp);
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Asks the kernel to start writing <paramref name="count"/> bytes at <paramref name="offset"/> of the file to disk
    /// without waiting for them (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>): a later fsync then finds most
    /// pages clean, so it is short and does not stall writers behind one large burst. Durability is unchanged (only an
    /// fsync makes bytes durable). Advisory: returns false where unsupported or when the call fails.
    /// </summary>
    public static bool StartWriteback(SafeFileHandle handle, long offset, long count)
    {
        if (!OperatingSystem.IsLinux() || count <= 0)
        {
            return false;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Native.SyncFileRange((int)handle.DangerousGetHandle(), offset, count, SyncFileRangeWrite) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private const uint SyncFileRangeWrite = 2;

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
        internal static partial int SyncFileRange(int fd, long offset, long count, uint flags);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);
    }
}
