namespace Wharf.Storage;

/// <summary>
/// Exclusive use of a data directory by one broker process, as Kafka's <c>.lock</c> file: two processes writing one
/// directory would interleave appends and checkpoints and lose data. The lock is an advisory exclusive lock on
/// <c>&lt;dir&gt;/.lock</c> (.NET takes <c>flock</c> for <see cref="FileShare.None"/> on Unix), so the kernel releases it
/// when the holder dies, kill -9 included; the file itself stays and means nothing.
/// Thread-safety: acquire once; dispose once.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Locks <paramref name="directory"/> (created if missing) for this process.</summary>
    /// <exception cref="IOException">another process holds it; the message says which directory.</exception>
    public static DataDirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new DataDirectoryLockedException(
                $"{Path.GetFullPath(directory)} is in use by another broker process (its {FileName} is locked); stop it, or point log.dirs elsewhere.", e);
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>The data directory is locked by another live process.</summary>
public sealed class DataDirectoryLockedException(string message, Exception inner) : IOException(message, inner);
