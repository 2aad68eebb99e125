using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Network;

/// <summary>
/// A byte range of an open file presented as <see cref="Memory{T}"/>, so a response body can carry log data without
/// reading it: <see cref="ResponseWriter"/> puts it into the send as a file piece and the connection sends it with
/// <c>sendfile</c> (the kernel hands page-cache pages to the socket; no copy in this process). Anything else that asks
/// for its span (an encoder that does not gather, a test) gets the bytes read into a pooled array on first use.
/// It opens the same file again (its own descriptor, opened for asynchronous use as <see cref="System.Net.Sockets.SendPacketsElement"/>
/// requires), so the range stays readable even if the log closes its handle (retention's delete delay) before the
/// response goes out; the bytes themselves are immutable once published.
/// Thread-safety: one request at a time; <see cref="IDisposable.Dispose"/> once the response has been sent.
/// </summary>
public sealed class FileRegion : MemoryManager<byte>
{
    private readonly FileStream _file;
    private byte[]? _read;
    private GCHandle _pin;

    private FileRegion(FileStream file, long offset, int length)
    {
        _file = file;
        Offset = offset;
        Length = length;
    }

    /// <summary>
    /// The range of the open file <paramref name="file"/> as a region with its own descriptor, or null where that
    /// cannot be had (then read the range through <paramref name="file"/> instead). Linux: the file is opened again
    /// through <c>/proc/self/fd</c>, which reaches the very same file even when its name has meanwhile been renamed,
    /// deleted or reused by a compacted segment.
    /// </summary>
    public static FileRegion? TryOpen(SafeFileHandle file, long offset, int length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var path = $"/proc/self/fd/{file.DangerousGetHandle()}";

            // Asynchronous only because SendPacketsElement insists; the stream is never read or written through.
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
            return new FileRegion(stream, offset, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The file, for <c>sendfile</c>; owned by this region.</summary>
    public FileStream File => _file;

    /// <summary>Where the range starts in the file.</summary>
    public long Offset { get; }

    public int Length { get; }

    public override Span<byte> GetSpan()
    {
        if (_read is null)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
            var done = 0;
            while (done < Length)
            {
                var n = RandomAccess.Read(_file.SafeFileHandle, buffer.AsSpan(done, Length - done), Offset + done);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw new IOException($"file region {Offset}+{Length} ends early at {Offset + done}");
                }

                done += n;
            }

            _read = buffer;
        }

        return _read.AsSpan(0, Length);
    }

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        GetSpan();
        if (!_pin.IsAllocated)
        {
            _pin = GCHandle.Alloc(_read, GCHandleType.Pinned);
        }

        return new MemoryHandle((byte*)_pin.AddrOfPinnedObject() + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }

        if (_read is { } read)
        {
            _read = null;
            ArrayPool<byte>.Shared.Return(read);
        }

        _file.Dispose();
    }
}
