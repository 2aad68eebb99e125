namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Everything a broker (or etcd) wrote, in a file that outlives the run's data directories, and in memory what deserves a
/// look: warnings, errors, exceptions and their stack lines (the first <see cref="KeptLines"/> kept, all counted). Lines
/// are tagged with the process run (a broker restarted by the benchmark is run 2, 3, …) and the benchmark phase.
/// Thread-safety: <see cref="Add"/> from the process's reader threads; everything takes one lock.
/// </summary>
public sealed class ServerOutputLog : IDisposable
{
    public const int KeptLines = 60;

    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StreamWriter _file;
    private int _count;
    private int _run;
    private string _phase = "start";
    private bool _disposed;

    public ServerOutputLog(string name, string path)
    {
        Name = name;
        Path = path;
        _file = new StreamWriter(path, append: false);
        NextRun();
    }

    public string Name { get; }

    /// <summary>The file with the full output.</summary>
    public string Path { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Whether a console line is worth keeping: Microsoft.Extensions.Logging's simple console levels
    /// (warn, fail, crit), any exception, a stack frame, or etcd's own warning/error letters.</summary>
    public static bool IsNotable(string line) =>
        line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal)
        || line.Contains(" crit: ", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal)
        || line.TrimStart().StartsWith("at ", StringComparison.Ordinal)
        || line.Contains(" W | ", StringComparison.Ordinal) || line.Contains(" E | ", StringComparison.Ordinal);

    /// <summary>Marks the start of another process run (a restart) in the file and the tags.</summary>
    public void NextRun()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _run++;
            _file.WriteLine($"=== {Name}, run {_run}, started {DateTime.Now:HH:mm:ss.fff} during {_phase}");
        }
    }

    /// <summary>Sets the benchmark phase that later lines are tagged with.</summary>
    public void SetPhase(string phase)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _phase = phase;
            _file.WriteLine($"=== benchmark phase: {phase} ({DateTime.Now:HH:mm:ss.fff})");
        }
    }

    public void Add(string line)
    {
        lock (_gate)
        {
            // Reader threads may still deliver a killed process's last lines after the log is closed.
            if (_disposed)
            {
                return;
            }

            _file.WriteLine(line);
            if (!IsNotable(line))
            {
                return;
            }

            _count++;
            if (_lines.Count < KeptLines)
            {
                _lines.Add($"[{Name} run {_run}, {_phase}] {line}");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _file.Dispose();
        }
    }
}
