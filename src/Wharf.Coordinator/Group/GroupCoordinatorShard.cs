using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Records;

namespace Wharf.Coordinator.Group;

/// <summary>
/// The groups of one partition of <c>__consumer_offsets</c>: a replicated state machine whose log is that partition.
/// Membership (join, sync, heartbeats, timeouts) lives in memory; what must survive a failover — each generation's
/// members and assignments, and committed offsets — is appended as records (<see cref="OffsetsTopicRecords"/>) and
/// applied to the in-memory state only once durable, in log order, so what clients read is what a replay rebuilds.
/// <para>
/// Lifecycle: created unloaded; <see cref="LoadAsync"/> replays the partition and makes it active; <see cref="Unload"/>
/// (leadership lost, or shutdown) fails parked requests with NOT_COORDINATOR and drops the state.
/// </para>
/// <para>
/// Thread-safety: one lock per shard serialises every event — requests, timer callbacks, completed writes — which is
/// the shard's event loop. Appends are issued under the lock, so log order is event order. Parked requests are
/// completed with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/> so no continuation runs under it.
/// </para>
/// </summary>
internal sealed partial class GroupCoordinatorShard : IDisposable
{
    private const int MaxDecompressedBatchBytes = 64 << 20;

    private readonly Lock _lock = new();
    private readonly IPartitionWriter _writer;
    private readonly GroupCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private readonly Queue<PendingWrite> _pendingWrites = new();
    private ShardState _state = ShardState.Unloaded;
    private ITimer? _expiryTimer;

    public GroupCoordinatorShard(int partition, IPartitionWriter writer, GroupCoordinatorOptions options, TimeProvider time, ILogger logger)
    {
        Partition = partition;
        _writer = writer;
        _options = options;
        _time = time;
        _logger = logger;
    }

    private enum ShardState
    {
        Unloaded,
        Loading,
        Active,
    }

    public int Partition { get; }

    /// <summary>None when active; COORDINATOR_LOAD_IN_PROGRESS while replaying; NOT_COORDINATOR when not loaded.</summary>
    public ErrorCode Status
    {
        get
        {
            lock (_lock)
            {
                return StatusLocked();
            }
        }
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// Replays the partition from its start and becomes active; returns the number of groups it then holds (0 when it
    /// was already loaded or loading). Requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS.
    /// </summary>
    public async Task<int> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_state != ShardState.Unloaded)
            {
                return 0;
            }

            _state = ShardState.Loading;
        }

        var replay = new Replay();
        try
        {
            await foreach (var chunk in _writer.ReadAsync(Partition, cancellationToken).ConfigureAwait(false))
            {
                replay.Apply(chunk.Span, _logger, Partition);
            }
        }
        catch
        {
            lock (_lock)
            {
                _state = ShardState.Unloaded;
            }

            throw;
        }

        lock (_lock)
        {
            foreach (var (groupId, loaded) in replay.Groups)
            {
                if (loaded.Metadata is null && loaded.Offsets.Count == 0)
                {
                    continue;
                }

                var group = new ClassicGroup(groupId, Now);
                foreach (var (tp, offset) in loaded.Offsets)
                {
                    group.Offsets[tp] = offset;
                }

                if (loaded.Metadata is { } meta)
                {
                    Restore(group, meta);
                }

                _groups[groupId] = group;
            }

            RestorePendingTransactionalOffsets(replay);
            _state = ShardState.Active;
            _expiryTimer = _time.CreateTimer(static s => ((GroupCoordinatorShard)s!).ExpireOffsets(), this, _options.OffsetsRetentionCheckInterval, _options.OffsetsRetentionCheckInterval);
            _logger.LogDebug("Loaded {Count} groups from __consumer_offsets-{Partition}", _groups.Count, Partition);
            return _groups.Count;
        }
    }

    /// <summary>Drops the state; parked requests get NOT_COORDINATOR. The shard can be loaded again.</summary>
    public void Unload()
    {
        lock (_lock)
        {
            _state = ShardState.Unloaded;
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            foreach (var group in _groups.Values)
            {
                Discard(group, ErrorCode.NotCoordinator);
            }

            _groups.Clear();
            _pendingTxnOffsets.Clear();
        }
    }

    public void Dispose() => Unload();

    private ErrorCode StatusLocked() => _state switch
    {
        ShardState.Active => ErrorCode.None,
        ShardState.Loading => ErrorCode.CoordinatorLoadInProgress,
        _ => ErrorCode.NotCoordinator,
    };

    /// <summary>Ends a group's life in memory: timers stopped, parked requests failed with <paramref name="error"/>.</summary>
    private void Discard(ClassicGroup group, ErrorCode error)
    {
        group.JoinTimer?.Dispose();
        group.SyncTimer?.Dispose();
        foreach (var timer in group.PendingMembers.Values)
        {
            timer.Dispose();
        }

        group.PendingMembers.Clear();
        foreach (var member in group.Members.Values)
        {
            member.SessionTimer?.Dispose();
            member.AwaitingJoin?.TrySetResult(JoinError(member.MemberId, error));
            member.AwaitingSync?.TrySetResult(SyncError(error));
            member.AwaitingJoin = null;
            member.AwaitingSync = null;
        }

        group.TransitionTo(GroupState.Dead, Now);
    }

    private void Restore(ClassicGroup group, GroupSnapshot meta)
    {
        group.ProtocolType = string.IsNullOrEmpty(meta.ProtocolType) ? null : meta.ProtocolType;
        group.Generation = meta.Generation;
        group.ProtocolName = meta.ProtocolName;
        group.Leader = meta.Leader;
        var stateTimestamp = meta.CurrentStateTimestamp >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(meta.CurrentStateTimestamp) : Now;
        foreach (var saved in meta.Members)
        {
            var member = new GroupMember
            {
                MemberId = saved.MemberId,
                GroupInstanceId = saved.GroupInstanceId,
                ClientId = saved.ClientId,
                ClientHost = saved.ClientHost,
                RebalanceTimeoutMs = saved.RebalanceTimeoutMs,
                SessionTimeoutMs = saved.SessionTimeoutMs,
                ProtocolType = group.ProtocolType ?? "",
                Protocols = [(meta.ProtocolName ?? "", saved.Subscription)],
                Assignment = saved.Assignment,
            };
            group.Members[member.MemberId] = member;
            if (member.GroupInstanceId is { } instance)
            {
                group.StaticMembers[instance] = member.MemberId;
            }

            ArmSession(group, member);
        }

        if (group.Leader is not null && !group.Members.ContainsKey(group.Leader))
        {
            group.Leader = group.Members.Keys.FirstOrDefault();
        }

        group.TransitionTo(group.Members.Count > 0 ? GroupState.Stable : GroupState.Empty, stateTimestamp);
    }

    // ---- Writes -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Appends <paramref name="records"/> (key, value-or-null) as one batch. <paramref name="onDurable"/> runs under the
    /// lock once the batch is durable and every earlier write has been applied; <paramref name="onFailed"/> if the
    /// append failed. The returned task completes after either, with the error (None on success).
    /// </summary>
    private Task<ErrorCode> Append(List<(byte[] Key, byte[]? Value)> records, Action onDurable, Action<ErrorCode>? onFailed = null)
    {
        var builder = new RecordBatchBuilder();
        var now = Now.ToUnixTimeMilliseconds();
        foreach (var (key, value) in records)
        {
            builder.Append(now, key, value);
        }

        return AppendBatch(builder.ToArray(), onDurable, onFailed);
    }

    /// <summary><see cref="Append"/> of a ready batch (transactional offset commits, transaction markers).</summary>
    private Task<ErrorCode> AppendBatch(byte[] batch, Action onDurable, Action<ErrorCode>? onFailed = null)
    {
        Task durable;
        try
        {
            durable = _writer.AppendAsync(Partition, batch);
        }
#pragma warning disable CA1031 // Any append failure is reported to the request as an error code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            durable = Task.FromException(e);
        }

        var write = new PendingWrite(durable, onDurable, onFailed);
        _pendingWrites.Enqueue(write);
        durable.ContinueWith(static (_, state) => ((GroupCoordinatorShard)state!).ApplyDurableWrites(), this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return write.Applied.Task;
    }

    private void ApplyDurableWrites()
    {
        lock (_lock)
        {
            while (_pendingWrites.TryPeek(out var write) && write.Durable.IsCompleted)
            {
                _pendingWrites.Dequeue();
                if (write.Durable.IsCompletedSuccessfully)
                {
                    write.OnDurable();
                    write.Applied.TrySetResult(ErrorCode.None);
                }
                else
                {
                    var error = write.Durable.Exception?.InnerException is PartitionWriteException failure ? failure.Error : ErrorCode.CoordinatorNotAvailable;
                    _logger.LogWarning(write.Durable.Exception, "Write to __consumer_offsets-{Partition} failed: {Error}", Partition, error);
                    write.OnFailed?.Invoke(error);
                    write.Applied.TrySetResult(error);
                }
            }
        }
    }

    private sealed class PendingWrite(Task durable, Action onDurable, Action<ErrorCode>? onFailed)
    {
        public Task Durable { get; } = durable;

        public Action OnDurable { get; } = onDurable;

        public Action<ErrorCode>? OnFailed { get; } = onFailed;

        public TaskCompletionSource<ErrorCode> Applied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // ---- Replay -------------------------------------------------------------------------------------------------

    /// <summary>
    /// State gathered while replaying a partition: the last group record and the live offsets of each group, and the
    /// transactional offsets (by producer id) whose COMMIT/ABORT marker has not been met yet.
    /// </summary>
    private sealed partial class Replay
    {
        public Dictionary<string, (GroupSnapshot? Metadata, Dictionary<TopicPartition, CommittedOffset> Offsets)> Groups { get; } = new(StringComparer.Ordinal);

        public void Apply(ReadOnlySpan<byte> chunk, ILogger logger, int partition)
        {
            for (var position = 0; position + RecordBatchLayout.HeaderSize <= chunk.Length;)
            {
                var header = RecordBatchHeader.Read(chunk[position..]);
                if (header.TotalSize <= 0 || position + header.TotalSize > chunk.Length)
                {
                    break;
                }

                var batch = chunk.Slice(position, header.TotalSize);
                position += header.TotalSize;
                if (header.IsControl)
                {
                    ApplyMarker(header, batch);
                    continue;
                }

                var error = RecordBatchReader.TryOpen(batch, MaxDecompressedBatchBytes, out var reader);
                if (error != RecordBatchError.None)
                {
                    logger.LogWarning("Skipping an unreadable batch at offset {Offset} of __consumer_offsets-{Partition}: {Error}", header.BaseOffset, partition, error);
                    continue;
                }

                using (reader)
                {
                    foreach (var record in reader)
                    {
                        if (record.IsKeyNull)
                        {
                            continue;
                        }

                        try
                        {
                            if (header.IsTransactional && header.HasProducerId)
                            {
                                StageTransactional(header.ProducerId, record.Key, record.IsValueNull ? null : record.Value.ToArray());
                            }
                            else
                            {
                                ApplyRecord(record.Key, record.IsValueNull ? null : record.Value.ToArray());
                            }
                        }
                        catch (FormatException e)
                        {
                            logger.LogWarning(e, "Skipping a malformed record at offset {Offset} of __consumer_offsets-{Partition}", record.Offset, partition);
                        }
                    }
                }
            }
        }

        private void ApplyRecord(ReadOnlySpan<byte> key, byte[]? value)
        {
            switch (OffsetsTopicRecords.ReadKey(key))
            {
                case OffsetsTopicRecords.OffsetKey offsetKey:
                    var offsets = Get(offsetKey.Group).Offsets;
                    var tp = new TopicPartition(offsetKey.Topic, offsetKey.Partition);
                    if (value is null)
                    {
                        offsets.Remove(tp);
                    }
                    else
                    {
                        offsets[tp] = OffsetsTopicRecords.ReadOffsetCommitValue(value);
                    }

                    break;
                case OffsetsTopicRecords.GroupKey groupKey:
                    var entry = Get(groupKey.Group);
                    Groups[groupKey.Group] = (value is null ? null : OffsetsTopicRecords.ReadGroupMetadataValue(value), entry.Offsets);
                    break;
            }
        }

        private (GroupSnapshot? Metadata, Dictionary<TopicPartition, CommittedOffset> Offsets) Get(string group)
        {
            if (!Groups.TryGetValue(group, out var entry))
            {
                entry = (null, []);
                Groups[group] = entry;
            }

            return entry;
        }
    }
}
