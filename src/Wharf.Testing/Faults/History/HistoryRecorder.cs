using System.Diagnostics;
using System.Text.Json;

namespace Wharf.Testing.Faults.History;

/// <summary>
/// Collects a run's history in the order operations are recorded, stamping each with the milliseconds since the
/// recorder was made, and appends each as one JSON line to <paramref name="path"/> when given (so a crashed run still
/// leaves its history). Thread-safety: <see cref="Record"/> may be called from any thread; lines are appended under a
/// lock, so the file and <see cref="Snapshot"/> have one order.
/// </summary>
public sealed class HistoryRecorder(string? path = null) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<HistoryOp> _ops = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StreamWriter? _file = path is null ? null : new StreamWriter(path, append: false) { AutoFlush = true };

    /// <summary>Where the JSONL goes, or null.</summary>
    public string? Path { get; } = path;

    /// <summary>Milliseconds since the recorder was made (the clock of <see cref="HistoryOp.Time"/>).</summary>
    public long Now => _clock.ElapsedMilliseconds;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ops.Count;
            }
        }
    }

    /// <summary>Stamps <paramref name="op"/> with the current time and appends it; returns the stamped op.</summary>
    public HistoryOp Record(HistoryOp op)
    {
        lock (_lock)
        {
            var stamped = op with { Time = Now };
            _ops.Add(stamped);
            _file?.WriteLine(JsonSerializer.Serialize(stamped));
            return stamped;
        }
    }

    /// <summary>Every op so far, in record order.</summary>
    public IReadOnlyList<HistoryOp> Snapshot()
    {
        lock (_lock)
        {
            _file?.Flush();
            return [.. _ops];
        }
    }

    /// <summary>Reads a JSONL history file written by a recorder.</summary>
    public static IReadOnlyList<HistoryOp> Load(string path) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<HistoryOp>(l) ?? throw new FormatException($"not a history line: {l}"))];

    public void Dispose()
    {
        lock (_lock)
        {
            _file?.Dispose();
        }
    }
}
