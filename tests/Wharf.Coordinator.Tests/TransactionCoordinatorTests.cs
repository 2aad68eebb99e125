using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Coordinator.Transaction;

namespace Wharf.Coordinator.Tests;

/// <summary>
/// The transaction coordinator's state machine in virtual time, over an in-memory <c>__transaction_state</c> and a
/// recording marker writer: InitProducerId (new id, epoch bumps, fencing an ongoing transaction), commit and abort with
/// their markers, timeouts that abort with an epoch bump, late requests of an earlier transaction (which must not
/// decide a later one), and a replay that completes a prepared transaction.
/// </summary>
public sealed class TransactionCoordinatorTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TopicPartition Orders0 = new("orders", 0);
    private static readonly TopicPartition Orders1 = new("orders", 1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryPartitionWriter _log = new();
    private readonly RecordingMarkerWriter _markers = new();
    private readonly TransactionCoordinatorOptions _options = new() { StateTopicPartitions = 3, MaxTransactionTimeout = TimeSpan.FromMinutes(1), AbortTimedOutTransactionsInterval = TimeSpan.FromSeconds(1), TransactionalIdExpiration = TimeSpan.FromHours(1) };
    private long _nextProducerId = 1000;
    private TransactionCoordinator _coordinator;

    public TransactionCoordinatorTests() => _coordinator = Start();

    public void Dispose() => _coordinator.Dispose();

    [Fact]
    public async Task InitProducerId_ANewIdGetsEpochZero_AgainKeepsTheProducerIdAndBumpsTheEpoch()
    {
        var first = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        var second = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        Assert.Equal((ErrorCode.None, 1000L, (short)0), first);
        Assert.Equal((ErrorCode.None, 1000L, (short)1), second);
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.AddPartitionsAsync("app", 1000, 0, [Orders0]).WaitAsync(Wait));
    }

    [Fact]
    public async Task InitProducerId_TimeoutAboveTheMaximum_IsInvalidTransactionTimeout()
    {
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, (await _coordinator.InitProducerIdAsync("app", 61_000)).Error);
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, (await _coordinator.InitProducerIdAsync("app", 0)).Error);
    }

    [Fact]
    public async Task Commit_WritesPrepareCommit_ThenCommitMarkersToEveryPartition_ThenCompleteCommit()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0, Orders1]).WaitAsync(Wait));
        Assert.Equal(ErrorCode.None, _coordinator.VerifyPartition("app", id, epoch, Orders0));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartition("app", id, epoch, new TopicPartition("orders", 2)));
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        await WaitForStateAsync("app", TransactionState.CompleteCommit);
        var marker = Assert.Single(_markers.Written);
        Assert.Equal(new TransactionMarker(id, epoch, 0, Commit: true), marker.Marker);
        Assert.Equal([Orders0, Orders1], marker.Partitions.OrderBy(p => p.Partition));
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartition("app", id, epoch, Orders0));
    }

    [Fact]
    public async Task LateEndTxn_OfACompletedTransaction_DoesNotDecideTheNextOne()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        await WaitForStateAsync("app", TransactionState.CompleteCommit);

        // A retried commit is answered as done; a late abort of the committed transaction is refused.
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTransactionAsync("app", id, epoch, commit: false).WaitAsync(Wait));
        Assert.Single(_markers.Written);

        // A new producer instance fences the old one; the old instance's late EndTxn cannot end the new transaction.
        var (_, id2, epoch2) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id2, epoch2, [Orders1]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        Assert.Equal(TransactionState.Ongoing, State("app"));
        Assert.Single(_markers.Written);
    }

    [Fact]
    public async Task LateProduce_OfAFinishedTransaction_IsNotVerifiedForTheNextOne()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0]).WaitAsync(Wait);
        await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait);
        await WaitForStateAsync("app", TransactionState.CompleteCommit);
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartition("app", id, epoch, Orders0));

        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders1]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.InvalidTxnState, _coordinator.VerifyPartition("app", id, epoch, Orders0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, _coordinator.VerifyPartition("app", id, (short)(epoch - 1), Orders1));
        Assert.Equal(ErrorCode.None, _coordinator.VerifyPartition("app", id, epoch, Orders1));
    }

    [Fact]
    public async Task Timeout_AbortsTheTransactionWithABumpedEpoch_AndFencesTheProducer()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 5_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0]).WaitAsync(Wait);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TransactionState.Ongoing, State("app"));
        _time.Advance(TimeSpan.FromSeconds(2));
        await WaitForStateAsync("app", TransactionState.CompleteAbort);
        var marker = Assert.Single(_markers.Written);
        Assert.Equal(new TransactionMarker(id, (short)(epoch + 1), 0, Commit: false), marker.Marker);
        Assert.Equal(ErrorCode.ProducerFenced, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
    }

    [Fact]
    public async Task InitProducerId_WithAnOngoingTransaction_AbortsItFirst_ThenBumpsTheEpochAgain()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.ConcurrentTransactions, (await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait)).Error);
        await WaitForStateAsync("app", TransactionState.CompleteAbort);
        Assert.False(Assert.Single(_markers.Written).Marker.Commit);
        var again = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        Assert.Equal((ErrorCode.None, id, (short)(epoch + 2)), again);
    }

    [Fact]
    public async Task EndTxn_WhileMarkersAreBeingWritten_IsConcurrentTransactions_AndAnOppositeResultIsRefused()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0]).WaitAsync(Wait);
        _markers.Hold = true;
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("app", id, epoch, commit: false).WaitAsync(Wait));
        Assert.Equal(ErrorCode.ConcurrentTransactions, await _coordinator.EndTransactionAsync("app", id, epoch, commit: false).WaitAsync(Wait));
        Assert.Equal(ErrorCode.ConcurrentTransactions, await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders1]).WaitAsync(Wait));
        _markers.Release();
        await WaitForStateAsync("app", TransactionState.CompleteAbort);
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
    }

    [Fact]
    public async Task Replay_AfterAFailoverInPrepareCommit_WritesTheMarkersAndCompletes()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("app", id, epoch, [Orders0, Orders1]).WaitAsync(Wait);
        _markers.Hold = true;
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        _coordinator.Dispose(); // the leader goes away with the markers unwritten
        _markers.Release();
        _markers.Written.Clear();

        _coordinator = Start();
        await WaitForStateAsync("app", TransactionState.CompleteCommit);
        var marker = Assert.Single(_markers.Written);
        Assert.True(marker.Marker.Commit);
        Assert.Equal([Orders0, Orders1], marker.Partitions.OrderBy(p => p.Partition));
        Assert.Equal((ErrorCode.None, id, (short)(epoch + 1)), await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait));
    }

    [Fact]
    public async Task WrongProducerId_IsInvalidProducerIdMapping_AndUnknownIdsAreNotFound()
    {
        var (_, id, epoch) = await _coordinator.InitProducerIdAsync("app", 30_000).WaitAsync(Wait);
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.AddPartitionsAsync("app", id + 1, epoch, [Orders0]).WaitAsync(Wait));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await _coordinator.EndTransactionAsync("other", id, epoch, commit: true).WaitAsync(Wait));
        Assert.Equal(ErrorCode.InvalidTxnState, await _coordinator.EndTransactionAsync("app", id, epoch, commit: true).WaitAsync(Wait));
        Assert.Equal(ErrorCode.TransactionalIdNotFound, _coordinator.DescribeTransaction("other").Error);
        Assert.Equal("app", Assert.Single(_coordinator.ListTransactions()).TransactionalId);
    }

    [Fact]
    public async Task TransactionalIdExpiration_ForgetsAnIdUnusedThatLong_AlsoAfterAReplay()
    {
        var (_, idle, _) = await _coordinator.InitProducerIdAsync("idle", 30_000).WaitAsync(Wait);
        _time.Advance(TimeSpan.FromMinutes(30));
        var (_, used, usedEpoch) = await _coordinator.InitProducerIdAsync("used", 30_000).WaitAsync(Wait);
        await _coordinator.AddPartitionsAsync("used", used, usedEpoch, [Orders0]).WaitAsync(Wait);
        Assert.Equal(ErrorCode.None, await _coordinator.EndTransactionAsync("used", used, usedEpoch, commit: true).WaitAsync(Wait));
        await WaitForStateAsync("used", TransactionState.CompleteCommit);

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(TransactionState.Empty, State("idle"));
        _time.Advance(TimeSpan.FromMinutes(2));
        await WaitForStateAsync("idle", null);
        Assert.Equal(TransactionState.CompleteCommit, State("used")); // changed 31 minutes ago

        _coordinator.Dispose();
        _coordinator = Start();
        Assert.Null(State("idle"));
        Assert.Equal(TransactionState.CompleteCommit, State("used"));
        var (_, again, epoch) = await _coordinator.InitProducerIdAsync("idle", 30_000).WaitAsync(Wait);
        Assert.NotEqual(idle, again); // a forgotten id starts over with a new producer id
        Assert.Equal(0, epoch);
    }

    private TransactionCoordinator Start()
    {
        var coordinator = new TransactionCoordinator(_log, _markers, _ => Task.FromResult((ErrorCode.None, Interlocked.Increment(ref _nextProducerId) - 1)), _options, _time);
        coordinator.LoadAllAsync().WaitAsync(Wait).GetAwaiter().GetResult();
        return coordinator;
    }

    private TransactionState? State(string transactionalId) => _coordinator.DescribeTransaction(transactionalId).Description?.Snapshot.State;

    /// <summary>Completion runs in the background after the Prepare state is durable: wait for its state with a timeout.</summary>
    private async Task WaitForStateAsync(string transactionalId, TransactionState? state)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (State(transactionalId) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{transactionalId} is {State(transactionalId)}, not {state}");
            await Task.Delay(5);
        }
    }

    /// <summary>Records WriteTxnMarkers calls; with <see cref="Hold"/> they stay incomplete until <see cref="Release"/> (or the coordinator unloads).</summary>
    private sealed class RecordingMarkerWriter : ITransactionMarkerWriter
    {
        private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<(TransactionMarker Marker, List<TopicPartition> Partitions)> Written { get; } = [];

        public bool Hold { get; set; }

        public void Release()
        {
            Hold = false;
            _released.TrySetResult();
            _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public async Task<IReadOnlyList<(TopicPartition Partition, ErrorCode Error)>> WriteMarkersAsync(TransactionMarker marker, IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Hold)
            {
                await _released.Task.WaitAsync(cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
            }

            lock (Written)
            {
                Written.Add((marker, [.. partitions]));
            }

            return [];
        }
    }
}
