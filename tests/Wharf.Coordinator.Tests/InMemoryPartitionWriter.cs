using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Wharf.Common;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// An in-memory <see cref="IPartitionWriter"/>: batches are kept per partition with offsets assigned in append order.
/// With <see cref="HoldWrites"/> set, appends stay not-durable until <see cref="ReleaseAll"/> (or fail with
/// <see cref="FailAll"/>), so tests can observe the window between append and durability. Like a partition, it refuses
/// an append at another leader epoch than the partition's current one (<see cref="SetLeaderEpoch"/>; 0 by default)
/// with NOT_COORDINATOR.
/// Thread-safety: a lock guards everything.
/// </summary>
internal sealed class InMemoryPartitionWriter : IPartitionWriter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<byte[]>> _batches = [];
    private readonly Dictionary<int, long> _nextOffset = [];
    private readonly List<(int Partition, byte[] Batch, TaskCompletionSource Durable)> _held = [];
    private readonly Dictionary<int, int> _leaderEpochs = [];

    public bool HoldWrites { get; set; }

    public int AppendCount { get; private set; }

    /// <summary>Appends refused because of their leader epoch.</summary>
    public int FencedCount { get; private set; }

    /// <summary>Called on every append, before it is accepted (tests observe concurrency through it).</summary>
    public Action<int>? OnAppend { get; set; }

    /// <summary>The partition's leader epoch from now on: appends at any other epoch are refused.</summary>
    public void SetLeaderEpoch(int partition, int leaderEpoch)
    {
        lock (_lock)
        {
            _leaderEpochs[partition] = leaderEpoch;
        }
    }

    public Task AppendAsync(int partition, int leaderEpoch, ReadOnlyMemory<byte> batch)
    {
        OnAppend?.Invoke(partition);
        lock (_lock)
        {
            if (leaderEpoch != _leaderEpochs.GetValueOrDefault(partition))
            {
                FencedCount++;
                return Task.FromException(new PartitionWriteException(ErrorCode.NotCoordinator, $"partition {partition} is at another leader epoch than {leaderEpoch}"));
            }

            AppendCount++;
            var copy = batch.ToArray();
            var offset = _nextOffset.GetValueOrDefault(partition);
            BinaryPrimitives.WriteInt64BigEndian(copy, offset);
            var lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(copy.AsSpan(23));
            _nextOffset[partition] = offset + lastOffsetDelta + 1;
            if (HoldWrites)
            {
                var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held.Add((partition, copy, durable));
                return durable.Task;
            }

            Batches(partition).Add(copy);
            return Task.CompletedTask;
        }
    }

    public void ReleaseAll()
    {
        lock (_lock)
        {
            foreach (var (partition, batch, durable) in _held)
            {
                Batches(partition).Add(batch);
                durable.SetResult();
            }

            _held.Clear();
            HoldWrites = false;
        }
    }

    public void FailAll()
    {
        lock (_lock)
        {
            foreach (var (_, _, durable) in _held)
            {
                durable.SetException(new PartitionWriteException(ErrorCode.NotEnoughReplicas, "test failure"));
            }

            _held.Clear();
            HoldWrites = false;
        }
    }

    /// <summary>When set, a read waits for it before returning anything (tests observe a load in progress).</summary>
    public Task? ReadGate { get; set; }

    /// <summary>When set, a read fails with it (a log that cannot be read).</summary>
    public Exception? ReadFailure { get; set; }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(int partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (ReadGate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        if (ReadFailure is { } failure)
        {
            throw failure;
        }

        List<byte[]> batches;
        lock (_lock)
        {
            batches = [.. Batches(partition)];
        }

        foreach (var batch in batches)
        {
            await Task.Yield();
            yield return batch;
        }
    }

    private List<byte[]> Batches(int partition)
    {
        if (!_batches.TryGetValue(partition, out var list))
        {
            list = [];
            _batches[partition] = list;
        }

        return list;
    }
}
