using Microsoft.Win32.SafeHandles;
using Wharf.Common;

namespace Wharf.TestKit;

/// <summary>
/// A test <see cref="IDisk"/> over the real file system under <see cref="Root"/> that can fail on purpose and that
/// remembers what was made durable, so a power cut can be simulated afterwards at any point of the run.
/// <para>
/// Faults: <see cref="FailWrites"/> makes matching writes throw ENOSPC ("No space left on device"),
/// <see cref="FailFsyncs"/> makes matching fsyncs throw EIO. Both are checked on every call and can be changed
/// while the system under test runs.
/// </para>
/// <para>
/// Power loss, modelled strictly as POSIX allows (as on ext4 with delayed allocation): a file's contents and size
/// are durable as of its last fsync; a directory's entries (creates, renames, deletes) as of the directory's last
/// fsync. Each fsync is an event: at a file fsync the disk records the file's whole contents under its identity
/// (inode and birth time, so renames and inode reuse are followed); at a directory fsync it records the names in
/// it and the identities they point to. Nothing else is durable. <see cref="Materialize"/> then writes, into a new
/// directory, what the disk would hold had the power failed just before event <c>k</c>: the tree of names made
/// durable by directory fsyncs before <c>k</c>, each file with the contents of its last fsync before <c>k</c>
/// (empty if none) — optionally with a torn tail: a random prefix of bytes the file received later (some dirty
/// pages reached the platter) followed by random garbage. Real fsyncs are skipped (<see cref="SyncForReal"/> off)
/// because the simulation alone decides what survives.
/// </para>
/// Thread-safety: every member is safe from any thread; events are totally ordered under one lock.
/// </summary>
public sealed class SimulatedDisk : IDisk
{
    private const int Enospc = 28;
    private const int Eio = 5;

    private readonly Lock _gate = new();
    private readonly Dictionary<FileId, List<(long Event, byte[] Contents)>> _fileVersions = [];
    private readonly Dictionary<FileId, List<(long Event, Entry[] Entries)>> _directoryVersions = [];
    private readonly FileId _rootId;
    private long _events;

    /// <param name="root">The directory whose tree is simulated; it must exist (its own entry counts as durable).</param>
    public SimulatedDisk(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        _rootId = Native.Identify(Root).Id;
    }

    public string Root { get; }

    /// <summary>Writes to paths it matches fail with ENOSPC (nothing written); null: none.</summary>
    public Func<string, bool>? FailWrites { get; set; }

    /// <summary>fsyncs of paths (files or directories) it matches fail with EIO; null: none.</summary>
    public Func<string, bool>? FailFsyncs { get; set; }

    /// <summary>fsyncs of files it matches are silently not made durable (a missing fsync, to prove a checker has teeth).</summary>
    public Func<string, bool>? DropFsyncs { get; set; }

    /// <summary>Also fsync for real (off by default: the simulation decides what survives).</summary>
    public bool SyncForReal { get; init; }

    /// <summary>Durability events so far (file and directory fsyncs). A cut at <c>k</c> keeps events 0..k-1.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>fsyncs that failed because of <see cref="FailFsyncs"/>.</summary>
    public int FailedFsyncs { get; private set; }

    public void Write(SafeFileHandle file, string path, ReadOnlySpan<byte> bytes, long offset)
    {
        if (FailWrites?.Invoke(path) == true)
        {
            throw new IOException($"No space left on device : '{path}'", Enospc);
        }

        RandomAccess.Write(file, bytes, offset);
    }

    public void Fsync(SafeFileHandle file, string path)
    {
        if (Failing(path))
        {
            throw new IOException($"Input/output error : fsync of '{path}'", Eio);
        }

        if (SyncForReal)
        {
            RandomAccess.FlushToDisk(file);
        }

        if (DropFsyncs?.Invoke(path) == true)
        {
            return;
        }

        var fd = (int)file.DangerousGetHandle();
        lock (_gate)
        {
            Record(_fileVersions, Native.IdentifyDescriptor(fd), Native.ReadAll(fd));
        }
    }

    public void FsyncDirectory(string directory)
    {
        if (Failing(directory))
        {
            throw new IOException($"Input/output error : fsync of directory '{directory}'", Eio);
        }

        if (SyncForReal)
        {
            LocalDisk.Instance.FsyncDirectory(directory);
        }

        lock (_gate)
        {
            var (id, _) = Native.Identify(directory);
            var entries = new List<Entry>();
            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                try
                {
                    var (entryId, isDirectory) = Native.Identify(path);
                    entries.Add(new Entry(Path.GetFileName(path), entryId, isDirectory));
                }
                catch (FileNotFoundException)
                {
                    // Removed between the listing and the stat: it is not an entry any more.
                }
            }

            Record(_directoryVersions, id, entries.ToArray());
        }
    }

    /// <summary>
    /// Writes into <paramref name="target"/> (created, must not exist) the tree as it would be after a power cut just
    /// before event <paramref name="cut"/> (0 ≤ cut ≤ <see cref="Events"/>). With <paramref name="tornTails"/>, a file
    /// that was written to after its last durable version also keeps a random prefix of the later bytes and some
    /// random garbage.
    /// </summary>
    public void Materialize(long cut, string target, Random? tornTails = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cut, Events);
        lock (_gate)
        {
            Emit(_rootId, target, cut, tornTails);
        }
    }

    private void Emit(FileId directoryId, string target, long cut, Random? torn)
    {
        Directory.CreateDirectory(target);
        if (Latest(_directoryVersions, directoryId, cut) is not { } entries)
        {
            return;
        }

        foreach (var entry in entries)
        {
            var path = Path.Combine(target, entry.Name);
            if (entry.IsDirectory)
            {
                Emit(entry.Id, path, cut, torn);
                continue;
            }

            var durable = Latest(_fileVersions, entry.Id, cut) ?? [];
            File.WriteAllBytes(path, torn is null ? durable : TearTail(durable, Later(entry.Id, cut), torn));
        }
    }

    private static byte[] TearTail(byte[] durable, byte[]? later, Random random)
    {
        if (later is null || random.Next(2) == 0)
        {
            return durable;
        }

        var extra = later.Length > durable.Length && later.AsSpan(0, durable.Length).SequenceEqual(durable)
            ? random.Next(later.Length - durable.Length + 1)
            : 0;
        var garbage = random.Next(3) == 0 ? random.Next(1, 64) : 0;
        var torn = new byte[durable.Length + extra + garbage];
        durable.CopyTo(torn, 0);
        later.AsSpan(durable.Length, extra).CopyTo(torn.AsSpan(durable.Length));
        random.NextBytes(torn.AsSpan(durable.Length + extra));
        return torn;
    }

    private byte[]? Later(FileId id, long cut) =>
        _fileVersions.TryGetValue(id, out var versions) ? versions.FirstOrDefault(v => v.Event >= cut).Contents : null;

    private static T? Latest<T>(Dictionary<FileId, List<(long Event, T Value)>> versions, FileId id, long cut)
        where T : class
    {
        if (!versions.TryGetValue(id, out var list))
        {
            return null;
        }

        T? found = null;
        foreach (var (index, value) in list)
        {
            if (index >= cut)
            {
                break;
            }

            found = value;
        }

        return found;
    }

    private void Record<T>(Dictionary<FileId, List<(long Event, T Value)>> versions, FileId id, T value)
    {
        if (!versions.TryGetValue(id, out var list))
        {
            versions[id] = list = [];
        }

        list.Add((_events, value));
        Interlocked.Increment(ref _events);
    }

    private bool Failing(string path)
    {
        if (FailFsyncs?.Invoke(path) != true)
        {
            return false;
        }

        lock (_gate)
        {
            FailedFsyncs++;
        }

        return true;
    }

    private sealed record Entry(string Name, FileId Id, bool IsDirectory);
}
