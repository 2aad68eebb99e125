namespace Wharf.Metadata.Tests;

/// <summary>The single-node log's cluster-facing members: following, leadership that never changes, the local registry.</summary>
public sealed class EmbeddedMetadataLogFollowTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Follow_YieldsCommittedBatches_ThenWaitsForTheNextAppend()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, nodeId: 1);
        await log.AppendAsync([Topic("a")], 1, default);
        using var cts = new CancellationTokenSource(Timeout);
        await using var follower = log.FollowAsync(-1, cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await follower.MoveNextAsync());
        var next = follower.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        await log.AppendAsync([Topic("b"), Topic("c")], 1, default);

        Assert.True(await next);
        Assert.Equal(1, follower.Current.BaseOffset);
        Assert.Equal(2, follower.Current.LastOffset);
    }

    [Fact]
    public async Task Follow_FromBeforeTheSnapshot_AsksForTheSnapshot()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, nodeId: 1);
        await log.AppendAsync([Topic("a")], 1, default);
        await log.AppendAsync([Topic("b")], 1, default);
        await log.WriteSnapshotAsync(new MetadataSnapshot(1, [Topic("a"), Topic("b")]), default);

        var error = await Assert.ThrowsAsync<MetadataSnapshotRequiredException>(async () =>
        {
            await foreach (var _ in log.FollowAsync(-1, default))
            {
            }
        });

        Assert.Equal(1, error.SnapshotOffset);
        Assert.Equal(1, (await log.ReadLatestSnapshotAsync(default))!.Offset);
    }

    [Fact]
    public async Task Campaign_ReturnsAtOnce_AndResignChangesNothing()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, nodeId: 3);
        var changes = 0;
        log.LeadershipChanged += _ => changes++;

        Assert.Equal(new MetadataLeadership(3, 1), await log.CampaignAsync(default));
        await log.ResignAsync(default);

        Assert.Equal(new MetadataLeadership(3, 1), log.Leadership);
        Assert.Equal(0, changes);
    }

    [Fact]
    public async Task LocalRegistry_KnowsOnlyThisBroker_AtEpochOne()
    {
        await using var registry = new LocalBrokerRegistry();
        BrokerSession? seen = null;
        registry.SessionChanged += s => seen = s;

        var epoch = await registry.RegisterAsync(new BrokerRegistration(1, Guid.NewGuid(), [], null), default);

        Assert.Equal(LocalBrokerRegistry.BrokerEpoch, epoch);
        Assert.Equal([1], registry.LiveBrokers.Keys);
        Assert.Equal(new BrokerSession(BrokerSessionState.Registered, 1), seen);
    }

    private static TopicRecord Topic(string name) => new(name, Guid.NewGuid());
}
