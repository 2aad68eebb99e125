using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Storage;

/// <summary>
/// One segment of a partition log: <c>&lt;base offset, 20 digits&gt;.log</c> holding record batches exactly as
/// received (offsets and leader epoch stamped), back to back, no framing of our own, plus its sparse
/// <see cref="OffsetIndex"/> (<c>.index</c>) and <see cref="TimeIndex"/> (<c>.timeindex</c>). Every batch's
/// offsets lie in [base offset, base offset + 2^31 − 1] so relative offsets fit in 32 bits; positions fit in
/// 32 bits because <c>segment.bytes</c> is an int.
/// Thread-safety: a single writer (the owning <see cref="Log"/>'s write lock) appends, truncates and renames;
/// readers use positional reads (<c>pread</c>) bounded by a size published by the log, so they never block
/// the writer and never see unpublished bytes. The file handle stays open after the segment is removed from
/// its log until <see cref="Dispose"/>, which the log delays (<see cref="LogConfig.FileDeleteDelayMs"/> (<c>file.delete.delay.ms</c>)).
/// <see cref="FlushTo"/> and <see cref="StartWriteback"/> run under the log's flush lock.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    private readonly LogEnvironment _environment;
    private long _size;
    private int _bytesSinceLastIndexEntry;

    private LogSegment(LogEnvironment environment, string directory, long baseOffset, SafeFileHandle handle, long size)
    {
        _environment = environment;
        Directory = directory;
        BaseOffset = baseOffset;
        Handle = handle;
        _size = size;
        FlushedSize = 0;
        LogPath = LogFileNames.LogFile(directory, baseOffset);
        OffsetIndex = new OffsetIndex(baseOffset);
        TimeIndex = new TimeIndex(baseOffset);
        NextOffset = baseOffset;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    /// <summary>Current path of the <c>.log</c> file (it changes when renamed to <c>.deleted</c>).</summary>
    public string LogPath { get; private set; }

    public SafeFileHandle Handle { get; }

    /// <summary>Bytes of valid batches (the writer's view; readers use the log's published end).</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>The offset after the last batch, or the base offset when empty. Writer's view.</summary>
    public long NextOffset { get; private set; }

    /// <summary>Largest batch max timestamp, -1 when empty or unknown.</summary>
    public long MaxTimestamp { get; private set; } = -1;

    /// <summary>When the first batch was appended (or its timestamp, after a restart); drives <c>segment.ms</c>.</summary>
    public long RollStartTimeMs { get; private set; } = -1;

    /// <summary>Bytes known to be fsync'd.</summary>
    public long FlushedSize { get; set; }

    private long _writebackStarted;

    public OffsetIndex OffsetIndex { get; private set; }

    public TimeIndex TimeIndex { get; private set; }

    /// <summary>True once index files match the in-memory indexes (set when written, cleared on append).</summary>
    public bool IndexFilesCurrent { get; private set; }

    public static LogSegment Create(LogEnvironment environment, string directory, long baseOffset)
    {
        var path = LogFileNames.LogFile(directory, baseOffset);
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (RandomAccess.GetLength(handle) != 0)
        {
            // Only an empty leftover (a crash right after a roll created it) can exist at the log end offset.
            RandomAccess.SetLength(handle, 0);
        }

        // Stale index files of an earlier incarnation must not survive into this one.
        File.Delete(LogFileNames.IndexFile(directory, baseOffset));
        File.Delete(LogFileNames.TimeIndexFile(directory, baseOffset));
        return new LogSegment(environment, directory, baseOffset, handle, 0);
    }

    /// <summary>Opens an existing <c>.log</c>; call <see cref="LoadIndexes"/> or <see cref="Recover"/> next.</summary>
    public static LogSegment Open(LogEnvironment environment, string path, long baseOffset)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var segment = new LogSegment(environment, Path.GetDirectoryName(path)!, baseOffset, handle, RandomAccess.GetLength(handle));
        segment.LogPath = path;
        segment.FlushedSize = segment.Size;
        return segment;
    }

    /// <summary>
    /// Writes <paramref name="batches"/> (one or more whole, stamped batches) at the end and indexes them.
    /// On an I/O error the file is cut back to its previous size and the segment is unchanged.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, int indexIntervalBytes, long nowMs)
    {
        var position = _size;
        try
        {
            _environment.Write(Handle, LogPath, batches, position);
        }
        catch (IOException)
        {
            TryCutBack(position);
            throw;
        }

        IndexFilesCurrent = false;
        if (RollStartTimeMs < 0)
        {
            RollStartTimeMs = nowMs;
        }

        var offset = 0;
        while (offset < batches.Length)
        {
            var header = RecordBatchHeader.Read(batches[offset..]);
            OnBatchWritten(header, position + offset, indexIntervalBytes);
            offset += header.TotalSize;
        }

        Volatile.Write(ref _size, position + batches.Length);
    }

    private void OnBatchWritten(in RecordBatchHeader header, long position, int indexIntervalBytes)
    {
        if (header.MaxTimestamp > MaxTimestamp)
        {
            MaxTimestamp = header.MaxTimestamp;
        }

        if (_bytesSinceLastIndexEntry > indexIntervalBytes)
        {
            OffsetIndex.Append(header.BaseOffset, (int)position);
            TimeIndex.MaybeAppend(MaxTimestamp, header.BaseOffset);
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry += header.TotalSize;
        NextOffset = header.NextOffset;
    }

    private void TryCutBack(long size)
    {
        try
        {
            RandomAccess.SetLength(Handle, size);
        }
        catch (IOException)
        {
            // The bytes past `size` are unpublished and get overwritten by the next append or cut by recovery.
        }
    }

    /// <summary>
    /// Walks every batch from the start: size, magic, CRC-32C, offsets increasing and not below
    /// <paramref name="minimumOffset"/>, relative offsets in range. Rebuilds both indexes, and truncates the file
    /// at the first invalid byte. Returns the number of bytes cut.
    /// </summary>
    public long Recover(long minimumOffset, int indexIntervalBytes, out string? reason)
    {
        reason = null;
        OffsetIndex = new OffsetIndex(BaseOffset);
        TimeIndex = new TimeIndex(BaseOffset);
        MaxTimestamp = -1;
        RollStartTimeMs = -1;
        _bytesSinceLastIndexEntry = 0;
        NextOffset = BaseOffset;
        var fileSize = RandomAccess.GetLength(Handle);
        var expected = Math.Max(minimumOffset, BaseOffset);
        long position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (position < fileSize)
            {
                if (fileSize - position < RecordBatchLayout.LogOverhead)
                {
                    reason = $"{fileSize - position} trailing bytes, too few for a batch header";
                    break;
                }

                var headerBytes = buffer.AsSpan(0, (int)Math.Min(RecordBatchLayout.HeaderSize, fileSize - position));
                ReadExactly(headerBytes, position);
                var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(headerBytes[RecordBatchLayout.LengthOffset..]);
                if (length < RecordBatchLayout.HeaderSize - RecordBatchLayout.LogOverhead || length > fileSize - position - RecordBatchLayout.LogOverhead)
                {
                    reason = $"batch length {length} at position {position} is invalid or runs past the end of the file ({fileSize} bytes)";
                    break;
                }

                var total = length + RecordBatchLayout.LogOverhead;
                if (total > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(total);
                }

                var batch = buffer.AsSpan(0, total);
                ReadExactly(batch, position);
                var error = RecordBatchValidator.ValidateHeader(batch, out var header);
                if (error != RecordBatchError.None)
                {
                    reason = $"batch at position {position} is invalid: {error}";
                    break;
                }

                if (header.BaseOffset < expected || header.LastOffset - BaseOffset > int.MaxValue)
                {
                    reason = $"batch at position {position} has offsets {header.BaseOffset}..{header.LastOffset}, expected ≥ {expected}";
                    break;
                }

                if (RollStartTimeMs < 0)
                {
                    RollStartTimeMs = header.MaxTimestamp > 0 ? header.MaxTimestamp : _environment.NowMs;
                }

                OnBatchWritten(header, position, indexIntervalBytes);
                expected = header.NextOffset;
                position += total;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var cut = fileSize - position;
        if (cut > 0)
        {
            RandomAccess.SetLength(Handle, position);
        }

        Volatile.Write(ref _size, position);
        FlushedSize = Math.Min(FlushedSize, position);
        _writebackStarted = Math.Min(_writebackStarted, position);
        IndexFilesCurrent = false;
        return cut;
    }

    /// <summary>
    /// Loads and checks the index files of a segment that needs no recovery, then scans the batch headers after
    /// the last index entry to learn the next offset and max timestamp. Returns false if anything is missing or
    /// inconsistent: the caller then runs <see cref="Recover"/>, which rebuilds the indexes from the log.
    /// </summary>
    public bool LoadIndexes(int indexIntervalBytes, out string? problem)
    {
        var size = Size;
        var offsetIndex = OffsetIndex.TryLoad(LogFileNames.IndexFile(Directory, BaseOffset), BaseOffset, size, out problem);
        if (offsetIndex is null)
        {
            problem = $".index {problem}";
            return false;
        }

        // The tail scan from the last indexed batch both finds the end and verifies the last entry.
        var position = (long)offsetIndex.LastPosition;
        var expected = offsetIndex.LastOffset;
        long maxTimestamp = -1;
        var nextOffset = BaseOffset;
        long firstTimestamp = -1;
        Span<byte> header = stackalloc byte[RecordBatchLayout.HeaderSize];
        var bytesSince = 0;
        while (position < size)
        {
            if (size - position < RecordBatchLayout.HeaderSize || !TryReadHeader(position, header, out var batch)
                || batch.Magic != RecordBatchLayout.CurrentMagic || batch.TotalSize < RecordBatchLayout.HeaderSize
                || position + batch.TotalSize > size || batch.BaseOffset < expected)
            {
                problem = $"batch at position {position} does not match the index";
                return false;
            }

            if (position == 0)
            {
                firstTimestamp = batch.MaxTimestamp;
            }

            maxTimestamp = Math.Max(maxTimestamp, batch.MaxTimestamp);
            nextOffset = batch.NextOffset;
            expected = batch.NextOffset;
            bytesSince = (int)(position + batch.TotalSize - offsetIndex.LastPosition);
            position += batch.TotalSize;
        }

        var timeIndex = TimeIndex.TryLoad(LogFileNames.TimeIndexFile(Directory, BaseOffset), BaseOffset, Math.Max(nextOffset - 1, BaseOffset), out problem);
        if (timeIndex is null)
        {
            problem = $".timeindex {problem}";
            return false;
        }

        if (size > 0 && firstTimestamp < 0 && TryReadHeader(0, header, out var first))
        {
            firstTimestamp = first.MaxTimestamp;
        }

        OffsetIndex = offsetIndex;
        TimeIndex = timeIndex;
        NextOffset = nextOffset;
        MaxTimestamp = Math.Max(maxTimestamp, timeIndex.LastTimestamp);
        RollStartTimeMs = size == 0 ? -1 : firstTimestamp > 0 ? firstTimestamp : _environment.NowMs;
        _bytesSinceLastIndexEntry = offsetIndex.Count == 0 ? (int)size : bytesSince;
        IndexFilesCurrent = true;
        return true;
    }

    /// <summary>Writes both index files from memory (when the segment closes). Not fsync'd: they are rebuildable.</summary>
    public void WriteIndexFiles()
    {
        if (IndexFilesCurrent)
        {
            return;
        }

        File.WriteAllBytes(LogFileNames.IndexFile(Directory, BaseOffset), OffsetIndex.Serialize());
        File.WriteAllBytes(LogFileNames.TimeIndexFile(Directory, BaseOffset), TimeIndex.Serialize());
        IndexFilesCurrent = true;
    }

    /// <summary>
    /// Position and header of the first batch, at or after the index entry for <paramref name="offset"/>, whose
    /// last offset is ≥ <paramref name="offset"/> and that ends by <paramref name="endPosition"/>; -1 if none.
    /// </summary>
    public long FindBatch(long offset, long endPosition, out RecordBatchHeader header)
    {
        var (_, position) = OffsetIndex.Lookup(offset);
        return ScanForBatch(position, endPosition, h => h.LastOffset >= offset, out header);
    }

    /// <summary>Scans headers from <paramref name="position"/> for the first batch matching <paramref name="match"/>.</summary>
    public long ScanForBatch(long position, long endPosition, Func<RecordBatchHeader, bool> match, out RecordBatchHeader header)
    {
        Span<byte> buffer = stackalloc byte[RecordBatchLayout.HeaderSize];
        while (position + RecordBatchLayout.HeaderSize <= endPosition)
        {
            if (!TryReadHeader(position, buffer, out header) || header.TotalSize < RecordBatchLayout.HeaderSize || position + header.TotalSize > endPosition)
            {
                break;
            }

            if (match(header))
            {
                return position;
            }

            position += header.TotalSize;
        }

        header = default;
        return -1;
    }

    /// <summary>
    /// The byte range of whole batches for a fetch at <paramref name="offset"/> (see <see cref="Log.Read"/>), or
    /// null when no batch in this segment holds an offset ≥ <paramref name="offset"/>.
    /// </summary>
    public LogFileSlice? Read(long offset, int maxBytes, long endPosition, long maxOffsetExclusive, bool minOneBatch)
    {
        var start = FindBatch(offset, endPosition, out var first);
        if (start < 0)
        {
            return null;
        }

        if (first.NextOffset > maxOffsetExclusive || (first.TotalSize > maxBytes && !minOneBatch))
        {
            return new LogFileSlice(this, start, 0, first.BaseOffset, first.BaseOffset);
        }

        var end = start + first.TotalSize;
        var nextOffset = first.NextOffset;
        var limit = Math.Min(start + (long)maxBytes, endPosition);

        // Jump over whole batches with the index: everything before an entry's position ends before its offset.
        var (entryOffset, entryPosition) = OffsetIndex.LookupByPosition(limit);
        if (entryPosition > end && entryOffset <= maxOffsetExclusive)
        {
            end = entryPosition;
            nextOffset = entryOffset;
        }

        Span<byte> buffer = stackalloc byte[RecordBatchLayout.HeaderSize];
        while (end + RecordBatchLayout.HeaderSize <= endPosition)
        {
            if (!TryReadHeader(end, buffer, out var header) || header.TotalSize < RecordBatchLayout.HeaderSize
                || end + header.TotalSize > limit || header.NextOffset > maxOffsetExclusive)
            {
                break;
            }

            end += header.TotalSize;
            nextOffset = header.NextOffset;
        }

        return new LogFileSlice(this, start, (int)(end - start), first.BaseOffset, nextOffset);
    }

    /// <summary>
    /// Cuts the segment so that no batch with a last offset ≥ <paramref name="offset"/> remains (a batch that
    /// contains <paramref name="offset"/> goes entirely). Rebuilds the in-memory state from the remaining headers.
    /// </summary>
    public void TruncateTo(long offset)
    {
        var size = Size;
        var position = FindBatch(offset, size, out _);
        if (position < 0)
        {
            return;
        }

        RandomAccess.SetLength(Handle, position);
        Volatile.Write(ref _size, position);
        FlushedSize = Math.Min(FlushedSize, position);
        _writebackStarted = Math.Min(_writebackStarted, position);
        var cutOffset = offset;
        OffsetIndex.TruncateTo(cutOffset);
        TimeIndex.TruncateTo(cutOffset);
        IndexFilesCurrent = false;

        // Recompute end, max timestamp and index spacing from the remaining headers.
        NextOffset = BaseOffset;
        MaxTimestamp = -1;
        _bytesSinceLastIndexEntry = 0;
        long scan = 0;
        Span<byte> buffer = stackalloc byte[RecordBatchLayout.HeaderSize];
        while (scan < position && TryReadHeader(scan, buffer, out var header))
        {
            NextOffset = header.NextOffset;
            MaxTimestamp = Math.Max(MaxTimestamp, header.MaxTimestamp);
            scan += header.TotalSize;
        }

        _bytesSinceLastIndexEntry = (int)(position - OffsetIndex.LastPosition);
        if (position == 0)
        {
            RollStartTimeMs = -1;
        }

        // The time index may now claim a larger timestamp than remains; rebuild it conservatively.
        if (TimeIndex.LastTimestamp > MaxTimestamp)
        {
            TimeIndex.Clear();
        }
    }

    public bool TryReadHeader(long position, Span<byte> buffer, out RecordBatchHeader header)
    {
        header = default;
        var read = 0;
        while (read < RecordBatchLayout.HeaderSize)
        {
            var n = RandomAccess.Read(Handle, buffer[read..RecordBatchLayout.HeaderSize], position + read);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        header = RecordBatchHeader.Read(buffer);
        return true;
    }

    public void ReadExactly(Span<byte> destination, long position)
    {
        var read = 0;
        while (read < destination.Length)
        {
            var n = RandomAccess.Read(Handle, destination[read..], position + read);
            if (n == 0)
            {
                throw new EndOfStreamException($"{LogPath}: wanted {destination.Length} bytes at {position}, file ended after {read}.");
            }

            read += n;
        }
    }

    /// <summary>
    /// Starts writeback (no wait) of the whole pages between the last writeback start and <paramref name="size"/>, when
    /// at least <paramref name="minimumBytes"/> are new; the partial page at the end is left to the next fsync, as
    /// appends still write into it.
    /// </summary>
    public void StartWriteback(long size, long minimumBytes)
    {
        var end = size & ~(WritebackPageBytes - 1);
        var start = Math.Max(_writebackStarted, FlushedSize & ~(WritebackPageBytes - 1));
        if (end - start < minimumBytes)
        {
            return;
        }

        DurableFiles.StartWriteback(Handle, start, end - start);
        _writebackStarted = end;
    }

    private const long WritebackPageBytes = 4096;

    /// <summary>
    /// fsyncs the log file if bytes up to <paramref name="size"/> are not yet known durable. An fsync covers at most
    /// what the file held when it began, so <see cref="FlushedSize"/> never passes that (a caller may ask for
    /// <see cref="long.MaxValue"/>, "all of it": later appends must still be fsync'd).
    /// </summary>
    public void FlushTo(long size)
    {
        if (FlushedSize >= size)
        {
            return;
        }

        var covered = Math.Min(size, Size);
        _environment.Fsync(Handle, LogPath);
        FlushedSize = Math.Max(FlushedSize, covered);
    }

    /// <summary>Renames the segment's files by appending <paramref name="suffix"/> (e.g. <c>.deleted</c>).</summary>
    public void RenameAll(string suffix)
    {
        var target = LogFileNames.LogFile(Directory, BaseOffset) + suffix;
        if (LogPath != target)
        {
            File.Move(LogPath, target, overwrite: true);
            LogPath = target;
        }

        foreach (var index in new[] { LogFileNames.IndexFile(Directory, BaseOffset), LogFileNames.TimeIndexFile(Directory, BaseOffset) })
        {
            if (File.Exists(index))
            {
                File.Move(index, index + suffix, overwrite: true);
            }
        }
    }

    /// <summary>Moves the <c>.log</c> file (the handle stays valid).</summary>
    public void MoveLogFile(string target)
    {
        File.Move(LogPath, target, overwrite: true);
        LogPath = target;
    }

    /// <summary>Closes the handle and deletes the (renamed) files.</summary>
    public void DeleteFiles(ILogger logger)
    {
        Dispose();
        foreach (var path in new[] { LogPath, LogFileNames.IndexFile(Directory, BaseOffset) + LogFileNames.DeletedSuffix, LogFileNames.TimeIndexFile(Directory, BaseOffset) + LogFileNames.DeletedSuffix })
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException e)
            {
                logger.LogWarning(e, "Could not delete {Path}; it will be removed at the next start", path);
            }
        }
    }

    /// <summary>Truncates the file to its logical size (dropping any unpublished bytes).</summary>
    public void TrimToSize() => RandomAccess.SetLength(Handle, Size);

    public void Dispose() => Handle.Dispose();

    public override string ToString() => LogPath;
}
