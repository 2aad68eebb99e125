using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Replication.Tests;

/// <summary>The long-poll wait that Fetch and ShareFetch park on: woken by an append, by its timeout, or cancelled.</summary>
public sealed class ReplicaManagerLongPollTests : IDisposable
{
    private static readonly Guid OrdersId = new("00000000-0000-0000-0000-00000000000b");
    private static readonly TopicPartition Orders0 = new("orders", 0);
    private readonly ReplicaFixture _fixture = new();

    public ReplicaManagerLongPollTests() => _fixture.Change(new TopicRecord("orders", OrdersId), ReplicaFixture.Partition(OrdersId, 0, leader: 1, leaderEpoch: 1));

    public void Dispose() => _fixture.Dispose();

    private ReplicaManager Replicas => _fixture.Replicas;

    [Fact]
    public async Task Cancelling_AParkedWait_ThrowsAndLeavesThePurgatory()
    {
        using var cancel = new CancellationTokenSource();
        var parked = Replicas.WaitForAnyAsync(Replicas.AppendSignals([Orders0]), TimeSpan.FromMinutes(1), cancel.Token);
        Assert.False(parked.IsCompleted);
        Assert.Equal(1, Replicas.ReplicationStats().ParkedFetches);

        await cancel.CancelAsync();

        // A wait that returned instead would send its fetch round its read-and-wait loop again, spinning to its deadline.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked);
        Assert.Equal(0, Replicas.ReplicationStats().ParkedFetches);
    }

    [Fact]
    public async Task AnAlreadyCancelledRequest_DoesNotWaitAtAll()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Replicas.WaitForAnyAsync(Replicas.AppendSignals([Orders0]), TimeSpan.FromMinutes(1), cancel.Token));
    }

    [Fact]
    public async Task TheTimeout_EndsTheWaitWithoutAnError()
    {
        var parked = Replicas.WaitForAnyAsync(Replicas.AppendSignals([Orders0]), TimeSpan.FromSeconds(5), CancellationToken.None);
        _fixture.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(parked.IsCompleted);

        _fixture.Time.Advance(TimeSpan.FromSeconds(1));

        await parked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, Replicas.ReplicationStats().ParkedFetches);
    }
}
