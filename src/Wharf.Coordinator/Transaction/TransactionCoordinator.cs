using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The transaction coordinator (KIP-98): routes each transactional id to the shard of its <c>__transaction_state</c>
/// partition (<see cref="PartitionFor(string, int)"/>, Kafka's mapping) and validates what every API shares. See
/// <see cref="TransactionCoordinatorShard"/> for the state machine.
/// <para>
/// Lifecycle: construct, <see cref="LoadAsync"/> each partition this broker leads (replays it and resumes prepared
/// transactions), <see cref="Unload"/> when leadership moves, <see cref="Dispose"/> unloads all.
/// </para>
/// Thread-safety: all members are safe from any thread.
/// </summary>
public sealed class TransactionCoordinator : IDisposable
{
    /// <summary>The internal topic that holds transaction state.</summary>
    public const string StateTopic = "__transaction_state";

    private readonly TransactionCoordinatorShard[] _shards;
    private readonly TransactionCoordinatorOptions _options;

    public TransactionCoordinator(
        IPartitionWriter writer,
        ITransactionMarkerWriter markers,
        Func<CancellationToken, Task<(ErrorCode Error, long ProducerId)>> newProducerId,
        TransactionCoordinatorOptions options,
        TimeProvider time,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.StateTopicPartitions, 1);
        _options = options;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TransactionCoordinator>();
        _shards = [.. Enumerable.Range(0, options.StateTopicPartitions).Select(p => new TransactionCoordinatorShard(p, writer, markers, newProducerId, options, time, logger))];
    }

    public int PartitionCount => _shards.Length;

    /// <summary>Kafka's mapping, <c>Utils.abs(transactionalId.hashCode()) % partitions</c> (the same as for groups).</summary>
    public static int PartitionFor(string transactionalId, int partitions) => GroupCoordinator.PartitionFor(transactionalId, partitions);

    public int PartitionFor(string transactionalId) => PartitionFor(transactionalId, _shards.Length);

    /// <summary>Replays <paramref name="partition"/> and starts serving its transactional ids; returns how many it loaded.</summary>
    public Task<int> LoadAsync(int partition, CancellationToken cancellationToken = default) => _shards[partition].LoadAsync(cancellationToken);

    public Task LoadAllAsync(CancellationToken cancellationToken = default) => Task.WhenAll(_shards.Select(s => s.LoadAsync(cancellationToken)));

    public void Unload(int partition) => _shards[partition].Unload();

    /// <summary>For FindCoordinator key type 1: None when this node serves the id now.</summary>
    public ErrorCode CoordinatorStatus(string transactionalId) =>
        string.IsNullOrEmpty(transactionalId) ? ErrorCode.InvalidRequest : Shard(transactionalId).Status;

    public bool IsLoading => _shards.Any(s => s.Status == ErrorCode.CoordinatorLoadInProgress);

    /// <summary>InitProducerId with a transactional id (see <see cref="TransactionCoordinatorShard.InitProducerIdAsync"/>).</summary>
    public Task<(ErrorCode Error, long ProducerId, short ProducerEpoch)> InitProducerIdAsync(string transactionalId, int transactionTimeoutMs, long expectedProducerId = -1, short expectedEpoch = -1)
    {
        if (string.IsNullOrEmpty(transactionalId))
        {
            return Task.FromResult((ErrorCode.InvalidRequest, -1L, (short)-1));
        }

        if (transactionTimeoutMs <= 0 || transactionTimeoutMs > _options.MaxTransactionTimeout.TotalMilliseconds)
        {
            return Task.FromResult((ErrorCode.InvalidTransactionTimeout, -1L, (short)-1));
        }

        return Shard(transactionalId).InitProducerIdAsync(transactionalId, transactionTimeoutMs, expectedProducerId, expectedEpoch);
    }

    public Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions) =>
        string.IsNullOrEmpty(transactionalId)
            ? Task.FromResult(ErrorCode.InvalidRequest)
            : Shard(transactionalId).AddPartitionsAsync(transactionalId, producerId, producerEpoch, partitions);

    /// <summary>AddOffsetsToTxn: adds the group's <c>__consumer_offsets</c> partition (of <paramref name="offsetsTopicPartitions"/>).</summary>
    public Task<ErrorCode> AddOffsetsAsync(string transactionalId, long producerId, short producerEpoch, string groupId, int offsetsTopicPartitions) =>
        AddPartitionsAsync(transactionalId, producerId, producerEpoch, [OffsetsPartition(groupId, offsetsTopicPartitions)]);

    public Task<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit) =>
        string.IsNullOrEmpty(transactionalId)
            ? Task.FromResult(ErrorCode.InvalidRequest)
            : Shard(transactionalId).EndTransactionAsync(transactionalId, producerId, producerEpoch, commit);

    /// <summary>KIP-890 part 1 check of a transactional write (see <see cref="TransactionCoordinatorShard.VerifyPartition"/>).</summary>
    public ErrorCode VerifyPartition(string transactionalId, long producerId, short producerEpoch, TopicPartition partition) =>
        string.IsNullOrEmpty(transactionalId)
            ? ErrorCode.InvalidTxnState
            : Shard(transactionalId).VerifyPartition(transactionalId, producerId, producerEpoch, partition);

    /// <summary>Every transactional id with a producer, of every loaded partition.</summary>
    public List<TransactionDescription> ListTransactions() => [.. _shards.SelectMany(s => s.List())];

    public (ErrorCode Error, TransactionDescription? Description) DescribeTransaction(string transactionalId) =>
        string.IsNullOrEmpty(transactionalId) ? (ErrorCode.TransactionalIdNotFound, null) : Shard(transactionalId).Describe(transactionalId);

    public static TopicPartition OffsetsPartition(string groupId, int offsetsTopicPartitions) =>
        new(GroupCoordinator.OffsetsTopic, GroupCoordinator.PartitionFor(groupId, offsetsTopicPartitions));

    public void Dispose()
    {
        foreach (var shard in _shards)
        {
            shard.Dispose();
        }
    }

    private TransactionCoordinatorShard Shard(string transactionalId) => _shards[PartitionFor(transactionalId)];
}
