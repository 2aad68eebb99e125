using System.Collections.Concurrent;
using Wharf.Common;
using Wharf.Storage;

namespace Wharf.Replication;

/// <summary>
/// The partitions this broker hosts, keyed by topic-partition, over the <see cref="LogManager"/>'s logs.
/// Handlers append and read through it; the broker adds and removes partitions as topics come and go.
/// Thread-safety: all members are safe from any thread.
/// </summary>
public sealed class ReplicaManager(LogManager logs, TimeProvider time)
{
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();

    public LogManager Logs => logs;

    public TimeProvider Time => time;

    public Partition? GetPartition(TopicPartition topicPartition) => _partitions.GetValueOrDefault(topicPartition);

    public IEnumerable<Partition> Partitions => _partitions.Values;

    /// <summary>Hosts a partition as leader at <paramref name="leaderEpoch"/>, opening or creating its log.</summary>
    public Partition BecomeLeader(TopicPartition topicPartition, int leaderEpoch, LogConfig? config = null) =>
        _partitions.GetOrAdd(topicPartition, tp => new Partition(tp, logs.GetOrCreateLog(tp, config), leaderEpoch));

    /// <summary>Stops hosting a partition and deletes its log.</summary>
    public void DeletePartition(TopicPartition topicPartition)
    {
        if (_partitions.TryRemove(topicPartition, out var partition))
        {
            partition.WakeWaiters();
        }

        logs.DeleteLog(topicPartition);
    }

    /// <summary>
    /// Signals that complete at the next high watermark advance of each hosted partition in the list. Take them
    /// <b>before</b> reading, then wait on them with <see cref="WaitForAnyAsync"/>, so an append between the read
    /// and the wait is never missed.
    /// </summary>
    public List<Task> AppendSignals(IEnumerable<TopicPartition> partitions)
    {
        var signals = new List<Task>();
        foreach (var tp in partitions)
        {
            if (GetPartition(tp) is { } partition)
            {
                signals.Add(partition.WaitForAppendAsync());
            }
        }

        return signals;
    }

    /// <summary>Long polling: waits until one of <paramref name="signals"/> completes or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForAnyAsync(List<Task> signals, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timer.Token);
        signals.Add(delay);
        await Task.WhenAny(signals).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
