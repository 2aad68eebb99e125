namespace Wharf.LoadGen.Cluster;

/// <summary>
/// The run's log: every line, time-stamped, to the console and to a file (flushed per line, so a run stopped halfway
/// still leaves its log).
/// Thread-safety: lines may come from any thread (librdkafka's log callback included); writes are serialised.
/// </summary>
public sealed class RunLog(TextWriter console, string path) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly StreamWriter _file = new(path, append: false) { AutoFlush = true };

    public string Path => path;

    /// <summary>A time-stamped line.</summary>
    public void Log(string line) => Write($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>Text as is (the tables).</summary>
    public void Write(string text)
    {
        lock (_gate)
        {
            console.WriteLine(text);
            _file.WriteLine(text);
        }
    }

    public void Dispose() => _file.Dispose();
}
