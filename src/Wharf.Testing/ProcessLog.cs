namespace Wharf.Testing;

/// <summary>
/// Every line a child process (and its later incarnations) printed, in arrival order, plus marker lines for starts and
/// exits, so a failing test can show what each process said. Thread-safety: appends and reads under a lock.
/// </summary>
internal sealed class ProcessLog(string name)
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];

    public string Name { get; } = name;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    public void Add(string line)
    {
        lock (_lock)
        {
            _lines.Add(line);
        }
    }

    public IReadOnlyList<string> Lines(int from = 0)
    {
        lock (_lock)
        {
            return _lines.Skip(from).ToArray();
        }
    }

    /// <summary>The lines from <paramref name="from"/> on, at most the last <paramref name="max"/>, under a header.</summary>
    public string Describe(int from = 0, int max = 200)
    {
        var lines = Lines(from);
        var skipped = Math.Max(0, lines.Count - max);
        var header = $"----- {Name}: {lines.Count} line(s){(skipped > 0 ? $", first {skipped} left out" : string.Empty)} -----";
        return string.Join('\n', [header, .. lines.Skip(skipped)]);
    }
}
