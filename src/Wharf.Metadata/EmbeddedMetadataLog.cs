using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Wharf.Common;

namespace Wharf.Metadata;

/// <summary>
/// The single-node <see cref="IMetadataLog"/>: an append-only file <c>&lt;data dir&gt;/metadata/metadata.log</c>
/// plus an optional snapshot. This node is always the controller, at epoch 1.
/// <para>On-disk format (integers little-endian):</para>
/// <code>
/// metadata.log   := entry*
/// entry          := length:i32 crc:u32 payload              length = payload bytes; crc = CRC-32C of payload
/// payload        := baseOffset:i64 controllerEpoch:i32 count:i32 (recordLength:i32 record)*
/// record         := see MetadataRecordSerializer
///
/// snapshot-&lt;offset, 20 digits&gt;.snapshot := one entry whose baseOffset is the snapshot's offset (epoch 0)
/// </code>
/// One append is one entry, so a batch is atomic. Offsets are contiguous: an entry's baseOffset is the previous
/// entry's last offset + 1 (0 for the first, or at most the snapshot's offset + 1 after a snapshot).
/// <para>
/// Recovery on open: entries are read from the start; the first entry that is short, whose length is
/// impossible, whose CRC does not match or whose offset breaks the sequence ends the log, and the file is
/// truncated there (a torn tail from a crash mid-append) and fsync'd. An entry with a valid CRC whose records do
/// not decode is not a torn write; opening fails rather than drop committed metadata.
/// </para>
/// <para>
/// Durability: an append completes only after its entry is written and fsync'd. A failed write or fsync
/// poisons the log: later appends fail until a restart recovers the file.
/// </para>
/// <para>
/// Snapshots are written atomically (temp, fsync, rename, fsync dir); then the log is rewritten without the
/// entries the snapshot covers (again temp + rename), and older snapshots are deleted. A crash between the two
/// steps leaves entries the snapshot already covers; replay skips them.
/// </para>
/// Leadership: this node is always the controller at epoch 1; <see cref="CampaignAsync"/> returns at once,
/// <see cref="ResignAsync"/> does nothing (there is nobody to hand over to) and <see cref="LeadershipChanged"/> is never
/// raised.
/// Thread-safety: a semaphore serialises appends, reads and snapshots; followers wait on a signal completed after
/// each append and snapshot, outside the semaphore.
/// </summary>
public sealed class EmbeddedMetadataLog : IMetadataLog
{
    public const string DirectoryName = "metadata";
    public const string LogFileName = "metadata.log";
    public const int ControllerEpoch = 1;
    private const string SnapshotPrefix = "snapshot-";
    private const string SnapshotSuffix = ".snapshot";
    private const int EntryHeaderSize = 8;
    private const int PayloadHeaderSize = 16;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly string _directory;
    private readonly string _logPath;
    private readonly ILogger _logger;
    private readonly IDisk _disk;
    private SafeFileHandle _handle;
    private long _fileLength;
    private long _committed;
    private MetadataSnapshot? _snapshot;
    private Exception? _failure;
    private TaskCompletionSource _changed = NewSignal();

    private EmbeddedMetadataLog(string directory, int nodeId, ILogger logger, IDisk disk)
    {
        _directory = directory;
        _logPath = Path.Combine(directory, LogFileName);
        _logger = logger;
        _disk = disk;
        Leadership = new MetadataLeadership(nodeId, ControllerEpoch);
        _handle = null!;
    }

    public MetadataLeadership Leadership { get; }

    public long CommittedOffset => Volatile.Read(ref _committed);

    public MetadataSnapshot? LatestSnapshot => Volatile.Read(ref _snapshot);

    /// <summary>Never raised: a single node's leadership never changes.</summary>
    public event Action<MetadataLeadership>? LeadershipChanged
    {
        add { }
        remove { }
    }

    /// <summary>Bytes cut from the end of the log when it was opened (a torn tail); 0 after a clean stop.</summary>
    public long TruncatedBytes { get; private set; }

    /// <summary>Size of the log file (entries after the snapshot).</summary>
    public long LogFileLength => Volatile.Read(ref _fileLength);

    /// <summary>
    /// Opens (creating if needed) the metadata log in <paramref name="directory"/> and recovers it. Writes and fsyncs
    /// go through <paramref name="disk"/> (the machine's file system by default).
    /// </summary>
    /// <exception cref="InvalidDataException">committed metadata cannot be decoded, or the log does not continue the snapshot.</exception>
    public static EmbeddedMetadataLog Open(string directory, int nodeId, ILogger? logger = null, IDisk? disk = null)
    {
        var log = new EmbeddedMetadataLog(directory, nodeId, logger ?? NullLogger.Instance, disk ?? LocalDisk.Instance);
        log.Recover();
        return log;
    }

    public async ValueTask<long> AppendAsync(IReadOnlyList<MetadataRecord> records, int controllerEpoch, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (controllerEpoch != Leadership.Epoch)
            {
                throw new NotControllerException($"Controller epoch {controllerEpoch} is fenced; the current epoch is {Leadership.Epoch}.");
            }

            if (_failure is not null)
            {
                throw new IOException("The metadata log failed earlier and accepts no more appends until restart.", _failure);
            }

            var entry = EncodeEntry(_committed + 1, controllerEpoch, records);
            try
            {
                _disk.Write(_handle, _logPath, entry, _fileLength);
                _disk.Fsync(_handle, _logPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failure = e;
                _logger.LogCritical(e, "Appending to the metadata log {Path} failed; it is offline: no more metadata changes until a restart recovers it from disk", _logPath);
                throw;
            }

            Volatile.Write(ref _fileLength, _fileLength + entry.Length);
            Volatile.Write(ref _committed, _committed + records.Count);
            Signal();
            return _committed;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async IAsyncEnumerable<MetadataBatch> ReadCommittedAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<MetadataBatch> batches;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = new byte[_fileLength];
            RandomAccess.Read(_handle, bytes, 0);
            batches = ReadEntries(bytes, out _).Where(b => b.LastOffset > afterOffset).ToList();
        }
        finally
        {
            _lock.Release();
        }

        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return batch;
        }
    }

    public async ValueTask WriteSnapshotAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (snapshot.Offset > _committed)
            {
                throw new ArgumentException($"Snapshot offset {snapshot.Offset} is beyond the committed offset {_committed}.", nameof(snapshot));
            }

            var bytes = new byte[_fileLength];
            RandomAccess.Read(_handle, bytes, 0);
            var kept = ReadEntries(bytes, out _).Where(b => b.LastOffset > snapshot.Offset).ToList();
            if (kept.Count > 0 && kept[0].BaseOffset <= snapshot.Offset)
            {
                throw new ArgumentException($"Snapshot offset {snapshot.Offset} is inside a batch.", nameof(snapshot));
            }

            DurableFiles.WriteAtomically(_disk, SnapshotPath(snapshot.Offset), EncodeEntry(snapshot.Offset, 0, snapshot.Records));
            var rest = new ArrayBufferWriter<byte>();
            foreach (var batch in kept)
            {
                rest.Write(EncodeEntry(batch.BaseOffset, batch.ControllerEpoch, batch.Records));
            }

            _handle.Dispose();
            DurableFiles.WriteAtomically(_disk, _logPath, rest.WrittenSpan);
            _handle = File.OpenHandle(_logPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            Volatile.Write(ref _fileLength, rest.WrittenCount);
            Volatile.Write(ref _snapshot, snapshot);
            Signal();
            foreach (var old in SnapshotFiles().Where(s => s.Offset < snapshot.Offset))
            {
                File.Delete(old.Path);
            }

            _logger.LogInformation("Wrote metadata snapshot at offset {Offset} ({Records} records); log now {Bytes} bytes",
                snapshot.Offset, snapshot.Records.Count, rest.WrittenCount);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Follows the log: reads the file after <paramref name="afterOffset"/>, then waits for the next append or snapshot
    /// and reads again. Each wake-up rereads the file; the single-node log is kept small by snapshots.
    /// </summary>
    public async IAsyncEnumerable<MetadataBatch> FollowAsync(long afterOffset, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = afterOffset;
        while (true)
        {
            Task changed;
            List<MetadataBatch> batches = [];
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                changed = _changed.Task;
                var snapshotOffset = _snapshot?.Offset ?? -1;
                if (after < snapshotOffset)
                {
                    throw new MetadataSnapshotRequiredException(after, snapshotOffset);
                }

                if (_committed > after)
                {
                    var bytes = new byte[_fileLength];
                    RandomAccess.Read(_handle, bytes, 0);
                    batches = ReadEntries(bytes, out _).Where(b => b.LastOffset > after).ToList();
                }
            }
            finally
            {
                _lock.Release();
            }

            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return batch;
                after = batch.LastOffset;
            }

            if (batches.Count == 0)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask<MetadataSnapshot?> ReadLatestSnapshotAsync(CancellationToken cancellationToken) => ValueTask.FromResult(LatestSnapshot);

    /// <summary>Returns at once: this node is always the controller.</summary>
    public ValueTask<MetadataLeadership> CampaignAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Leadership);

    /// <summary>Does nothing: a single node has nobody to hand the controller over to.</summary>
    public ValueTask ResignAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _changed.TrySetException(new ObjectDisposedException(nameof(EmbeddedMetadataLog)));
        _handle.Dispose();
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes every follower; the caller holds the lock.</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private void Recover()
    {
        // The directory and the log file must exist after a power cut once anything was appended: their entries are
        // fsync'd here, before the first append can be acknowledged (an fsync of the file alone does not cover them).
        var created = !Directory.Exists(_directory);
        Directory.CreateDirectory(_directory);
        if (created)
        {
            _disk.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_directory))!);
        }

        var logCreated = !File.Exists(_logPath);
        foreach (var temp in Directory.EnumerateFiles(_directory, "*" + DurableFiles.TempSuffix))
        {
            File.Delete(temp);
        }

        _snapshot = LoadNewestSnapshot();
        _handle = File.OpenHandle(_logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (logCreated)
        {
            _disk.FsyncDirectory(_directory);
        }

        var length = RandomAccess.GetLength(_handle);
        var bytes = new byte[length];
        RandomAccess.Read(_handle, bytes, 0);
        var batches = ReadEntries(bytes, out var validLength);
        if (validLength < length)
        {
            TruncatedBytes = length - validLength;
            _logger.LogWarning("Metadata log {Path}: truncated {Bytes} bytes of torn or invalid tail at position {Position}",
                _logPath, TruncatedBytes, validLength);
            RandomAccess.SetLength(_handle, validLength);
            _disk.Fsync(_handle, _logPath);
        }

        var snapshotOffset = _snapshot?.Offset ?? -1;
        if (batches.Count > 0 && batches[0].BaseOffset > snapshotOffset + 1)
        {
            throw new InvalidDataException(
                $"Metadata log {_logPath} starts at offset {batches[0].BaseOffset} but the snapshot ends at {snapshotOffset}; records are missing.");
        }

        _fileLength = validLength;
        _committed = Math.Max(snapshotOffset, batches.Count > 0 ? batches[^1].LastOffset : -1);
    }

    private MetadataSnapshot? LoadNewestSnapshot()
    {
        foreach (var (offset, path) in SnapshotFiles().OrderByDescending(s => s.Offset))
        {
            var bytes = File.ReadAllBytes(path);
            var entries = ReadEntries(bytes, out var validLength);
            if (entries.Count == 1 && validLength == bytes.Length && entries[0].BaseOffset == offset)
            {
                return new MetadataSnapshot(offset, entries[0].Records);
            }

            _logger.LogWarning("Metadata snapshot {Path} is damaged; ignoring it", path);
        }

        return null;
    }

    private IEnumerable<(long Offset, string Path)> SnapshotFiles() =>
        Directory.EnumerateFiles(_directory, SnapshotPrefix + "*" + SnapshotSuffix)
            .Select(path => (Name: Path.GetFileName(path), Path: path))
            .Select(f => (Ok: long.TryParse(f.Name.AsSpan(SnapshotPrefix.Length, f.Name.Length - SnapshotPrefix.Length - SnapshotSuffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out var offset), Offset: offset, f.Path))
            .Where(s => s.Ok)
            .Select(s => (s.Offset, s.Path))
            .ToList();

    private string SnapshotPath(long offset) =>
        Path.Combine(_directory, SnapshotPrefix + offset.ToString("D20", CultureInfo.InvariantCulture) + SnapshotSuffix);

    internal static byte[] EncodeEntry(long baseOffset, int controllerEpoch, IReadOnlyList<MetadataRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(stackalloc byte[EntryHeaderSize]);
        Span<byte> header = stackalloc byte[PayloadHeaderSize];
        BinaryPrimitives.WriteInt64LittleEndian(header, baseOffset);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], controllerEpoch);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], records.Count);
        buffer.Write(header);
        var recordBuffer = new ArrayBufferWriter<byte>();
        foreach (var record in records)
        {
            recordBuffer.ResetWrittenCount();
            MetadataRecordSerializer.Write(record, recordBuffer);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), recordBuffer.WrittenCount);
            buffer.Advance(4);
            buffer.Write(recordBuffer.WrittenSpan);
        }

        var bytes = buffer.WrittenSpan.ToArray();
        var payload = bytes.AsSpan(EntryHeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(bytes, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Crc32C.Compute(payload));
        return bytes;
    }

    /// <summary>
    /// The valid entries at the start of <paramref name="data"/>, and the length they cover. Stops at the first
    /// short, impossible, corrupt or out-of-sequence entry.
    /// </summary>
    /// <exception cref="InvalidDataException">an entry with a valid CRC whose records do not decode.</exception>
    internal static List<MetadataBatch> ReadEntries(ReadOnlySpan<byte> data, out long validLength)
    {
        var batches = new List<MetadataBatch>();
        var position = 0;
        while (data.Length - position >= EntryHeaderSize)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
            if (length < PayloadHeaderSize || length > data.Length - position - EntryHeaderSize)
            {
                break;
            }

            var payload = data.Slice(position + EntryHeaderSize, length);
            if (Crc32C.Compute(payload) != BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]))
            {
                break;
            }

            var batch = DecodePayload(payload);
            if (batches.Count > 0 && batch.BaseOffset != batches[^1].LastOffset + 1)
            {
                break;
            }

            batches.Add(batch);
            position += EntryHeaderSize + length;
        }

        validLength = position;
        return batches;
    }

    private static MetadataBatch DecodePayload(ReadOnlySpan<byte> payload)
    {
        var baseOffset = BinaryPrimitives.ReadInt64LittleEndian(payload);
        var epoch = BinaryPrimitives.ReadInt32LittleEndian(payload[8..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[12..]);
        if (count < 0 || count > (payload.Length - PayloadHeaderSize) / 4)
        {
            throw new InvalidDataException($"Metadata log entry at offset {baseOffset} has an impossible record count {count}.");
        }

        var records = new MetadataRecord[count];
        var position = PayloadHeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (payload.Length - position < 4)
            {
                throw new InvalidDataException($"Metadata log entry at offset {baseOffset} is shorter than its records.");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(payload[position..]);
            position += 4;
            if (length < 0 || length > payload.Length - position)
            {
                throw new InvalidDataException($"Metadata log entry at offset {baseOffset} has a record longer than the entry.");
            }

            records[i] = MetadataRecordSerializer.Deserialize(payload.Slice(position, length));
            position += length;
        }

        if (position != payload.Length)
        {
            throw new InvalidDataException($"Metadata log entry at offset {baseOffset} has trailing bytes.");
        }

        return new MetadataBatch(baseOffset, epoch, records);
    }
}
