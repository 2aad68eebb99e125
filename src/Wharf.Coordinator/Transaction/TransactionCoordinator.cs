using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Transaction;

/// <summary>
/// The transaction coordinator (KIP-98): routes each transactional id to the shard of its <c>__transaction_state</c>
/// partition (<see cref="PartitionFor(string, int)"/>, Kafka's mapping) on the <see cref="CoordinatorRuntime{TShard}"/>
/// and validates what every API shares. See <see cref="TransactionCoordinatorShard"/> for the state machine.
/// <para>
/// Lifecycle: construct; <see cref="OnElection"/> each partition this broker becomes leader of (replays it and
/// resumes prepared transactions, writing their markers with that leader epoch as coordinator epoch);
/// <see cref="OnResignation"/> when leadership moves; <see cref="Dispose"/> unloads all.
/// </para>
/// Thread-safety: all members are safe from any thread; each partition's events are serialised by its event loop.
/// </summary>
public sealed class TransactionCoordinator : IDisposable
{
    /// <summary>The internal topic that holds transaction state.</summary>
    public const string StateTopic = "__transaction_state";

    private readonly CoordinatorRuntime<TransactionCoordinatorShard> _runtime;
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
        _runtime = new CoordinatorRuntime<TransactionCoordinatorShard>(
            StateTopic, options.StateTopicPartitions, writer, context => new TransactionCoordinatorShard(context, markers, newProducerId, options, logger), time, logger);
    }

    public int PartitionCount => _runtime.PartitionCount;

    /// <summary>Kafka's mapping, <c>Utils.abs(transactionalId.hashCode()) % partitions</c> (the same as for groups).</summary>
    public static int PartitionFor(string transactionalId, int partitions) => GroupCoordinator.PartitionFor(transactionalId, partitions);

    public int PartitionFor(string transactionalId) => PartitionFor(transactionalId, _runtime.PartitionCount);

    /// <summary>
    /// This broker became leader of <c>__transaction_state</c>-<paramref name="partition"/> at
    /// <paramref name="leaderEpoch"/>: replays it, serves its ids and completes its prepared transactions. The task
    /// completes once they are served (it faults if the log could not be read).
    /// </summary>
    public Task OnElection(int partition, int leaderEpoch, CancellationToken cancellationToken = default) =>
        _runtime.OnElection(partition, leaderEpoch, cancellationToken);

    /// <summary>
    /// This broker no longer leads <c>__transaction_state</c>-<paramref name="partition"/>; <paramref name="leaderEpoch"/>
    /// is the partition's new leader epoch (null: unconditionally). Pending requests get NOT_COORDINATOR; marker writes stop.
    /// </summary>
    public void OnResignation(int partition, int? leaderEpoch) => _runtime.OnResignation(partition, leaderEpoch);

    /// <summary>Elects every partition at <paramref name="leaderEpoch"/> (a single node leads them all) and waits for the loads.</summary>
    public Task LoadAllAsync(int leaderEpoch = 0, CancellationToken cancellationToken = default) =>
        Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(p => OnElection(p, leaderEpoch, cancellationToken)));

    /// <summary>None when <paramref name="partition"/> is loaded here; COORDINATOR_LOAD_IN_PROGRESS while loading; NOT_COORDINATOR otherwise.</summary>
    public ErrorCode PartitionStatus(int partition) => _runtime.Status(partition);

    /// <summary>How many transactional ids <paramref name="partition"/> holds here (0 when not loaded).</summary>
    public int TransactionalIdCount(int partition) => _runtime.Run(partition, shard => shard.Count, _ => 0);

    /// <summary>For FindCoordinator key type 1: None when this node serves the id now.</summary>
    public ErrorCode CoordinatorStatus(string transactionalId) =>
        string.IsNullOrEmpty(transactionalId) ? ErrorCode.InvalidRequest : _runtime.Status(PartitionFor(transactionalId));

    public bool IsLoading => _runtime.IsLoading;

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

        return Run(transactionalId, shard => shard.InitProducerIdAsync(transactionalId, transactionTimeoutMs, expectedProducerId, expectedEpoch), error => Task.FromResult((error, -1L, (short)-1)));
    }

    public Task<ErrorCode> AddPartitionsAsync(string transactionalId, long producerId, short producerEpoch, IReadOnlyCollection<TopicPartition> partitions) =>
        string.IsNullOrEmpty(transactionalId)
            ? Task.FromResult(ErrorCode.InvalidRequest)
            : Run(transactionalId, shard => shard.AddPartitionsAsync(transactionalId, producerId, producerEpoch, partitions), Task.FromResult);

    /// <summary>AddOffsetsToTxn: adds the group's <c>__consumer_offsets</c> partition (of <paramref name="offsetsTopicPartitions"/>).</summary>
    public Task<ErrorCode> AddOffsetsAsync(string transactionalId, long producerId, short producerEpoch, string groupId, int offsetsTopicPartitions) =>
        AddPartitionsAsync(transactionalId, producerId, producerEpoch, [OffsetsPartition(groupId, offsetsTopicPartitions)]);

    public Task<ErrorCode> EndTransactionAsync(string transactionalId, long producerId, short producerEpoch, bool commit) =>
        string.IsNullOrEmpty(transactionalId)
            ? Task.FromResult(ErrorCode.InvalidRequest)
            : Run(transactionalId, shard => shard.EndTransactionAsync(transactionalId, producerId, producerEpoch, commit), Task.FromResult);

    /// <summary>KIP-890 part 1 check of a transactional write (see <see cref="TransactionCoordinatorShard.VerifyPartition"/>).</summary>
    public ErrorCode VerifyPartition(string transactionalId, long producerId, short producerEpoch, TopicPartition partition) =>
        string.IsNullOrEmpty(transactionalId)
            ? ErrorCode.InvalidTxnState
            : Run(transactionalId, shard => shard.VerifyPartition(transactionalId, producerId, producerEpoch, partition), error => error);

    /// <summary>Every transactional id with a producer, of every loaded partition.</summary>
    public List<TransactionDescription> ListTransactions() => _runtime.RunOnEach(shard => shard.List());

    public (ErrorCode Error, TransactionDescription? Description) DescribeTransaction(string transactionalId) =>
        string.IsNullOrEmpty(transactionalId) ? (ErrorCode.TransactionalIdNotFound, null) : Run(transactionalId, shard => shard.Describe(transactionalId), error => (error, null));

    public static TopicPartition OffsetsPartition(string groupId, int offsetsTopicPartitions) =>
        new(GroupCoordinator.OffsetsTopic, GroupCoordinator.PartitionFor(groupId, offsetsTopicPartitions));

    public void Dispose() => _runtime.Dispose();

    /// <summary>The runtime (tests inspect leaderships through it).</summary>
    internal CoordinatorRuntime<TransactionCoordinatorShard> Runtime => _runtime;

    /// <summary>An event on the loop of <paramref name="transactionalId"/>'s partition; <paramref name="onError"/> when it is not active here.</summary>
    private T Run<T>(string transactionalId, Func<TransactionCoordinatorShard, T> operation, Func<ErrorCode, T> onError) =>
        _runtime.Run(PartitionFor(transactionalId), operation, onError);
}
