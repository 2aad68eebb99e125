using System.Text;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// A minimal shard for testing <see cref="CoordinatorRuntime{TShard}"/> on its own: named registers (key → value)
/// changed only by replayed records, a write operation that sets one, and a timer whose firings are counted. Every
/// member notes when it is entered and left, so a test can see whether two events of one partition ever overlapped.
/// Thread-safety: as any shard, called on its partition's loop only; <see cref="Overlaps"/> and the counters are
/// atomic so tests may read them from any thread.
/// </summary>
internal sealed class RegisterShard(CoordinatorContext context) : ICoordinatorShard
{
    private readonly Dictionary<string, string> _registers = [];
    private int _inside;
    private int _overlaps;
    private int _timerFirings;

    public CoordinatorContext Context { get; } = context;

    /// <summary>Times an event found another event of this partition still running.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    public int TimerFirings => Volatile.Read(ref _timerFirings);

    public bool Loaded { get; private set; }

    public bool Unloaded { get; private set; }

    /// <summary>A spin inside every event, so overlapping events would be caught in the act.</summary>
    public int SpinIterations { get; set; }

    public static CoordinatorRecord Record(string key, string? value) =>
        CoordinatorRecord.Data(Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));

    public void Replay(in CoordinatorRecord record)
    {
        var key = Encoding.UTF8.GetString(record.Key);
        var value = record.Value;
        Event(() =>
        {
            if (value is null)
            {
                _registers.Remove(key);
            }
            else
            {
                _registers[key] = Encoding.UTF8.GetString(value);
            }
        });
    }

    public void OnLoaded() => Loaded = true;

    public void OnUnloaded() => Unloaded = true;

    /// <summary>A read: the register's committed value (null when unset).</summary>
    public string? Get(string key) => Event(() => _registers.GetValueOrDefault(key));

    /// <summary>A write operation: the record that sets the register, answered with the value set.</summary>
    public CoordinatorResult<(ErrorCode Error, string? Value)> Set(string key, string? value) =>
        Event(() => new CoordinatorResult<(ErrorCode, string?)>([Record(key, value)], (ErrorCode.None, value)));

    /// <summary>A timer counting its firings.</summary>
    public CoordinatorTimer StartTimer(TimeSpan period) =>
        Context.CreateTimer(() => Event(() => Interlocked.Increment(ref _timerFirings)), period, period);

    private void Event(Action action) => Event(() =>
    {
        action();
        return 0;
    });

    private T Event<T>(Func<T> action)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        try
        {
            Thread.SpinWait(SpinIterations);
            return action();
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}
