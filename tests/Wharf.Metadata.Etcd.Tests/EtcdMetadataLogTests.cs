using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Wharf.Metadata.Etcd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Wharf.Metadata.Etcd.Tests.Infrastructure.Nodes;

namespace Wharf.Metadata.Etcd.Tests;

/// <summary>The metadata log and controller election against one real etcd member.</summary>
public sealed class EtcdMetadataLogTests(SingleEtcdFixture etcd, ITestOutputHelper output) : IClassFixture<SingleEtcdFixture>
{
    [RequiresEtcdFact]
    public async Task Appends_AreFollowedByAnotherNode_InOrder_AndReadBackAfterReconnect()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var controller = await ConnectAsync(connect, 1);
        await using var follower = await ConnectAsync(connect, 2);
        var epoch = (await controller.Log.CampaignAsync(default)).Epoch;
        using var cts = new CancellationTokenSource(WaitLimit);
        var followed = new List<MetadataBatch>();
        var following = Task.Run(async () =>
        {
            await foreach (var batch in follower.Log.FollowAsync(-1, cts.Token))
            {
                followed.Add(batch);
                if (batch.LastOffset == 299)
                {
                    return;
                }
            }
        });

        var latencies = new List<double>();
        for (var i = 0; i < 150; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var last = await controller.Log.AppendAsync([Topic($"a{i}"), Topic($"b{i}")], epoch, default);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.Equal((2 * i) + 1, last);
        }

        await following.WaitAsync(WaitLimit);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => 2L * i), followed.Select(b => b.BaseOffset));
        Assert.Equal("a0", ((TopicRecord)followed[0].Records[0]).Name);
        Assert.All(followed, b => Assert.Equal(epoch, b.ControllerEpoch));
        latencies.Sort();
        output.WriteLine($"append latency over 150 batches: p50 {latencies[75]:0.00} ms, p99 {latencies[148]:0.00} ms, max {latencies[^1]:0.00} ms");

        await using var late = await ConnectAsync(connect, 3);
        var replayed = await late.Log.ReadCommittedAsync(-1, default).ToListAsync();
        Assert.Equal(299, late.Log.CommittedOffset);
        Assert.Equal(followed.Select(b => b.BaseOffset), replayed.Select(b => b.BaseOffset));
    }

    [RequiresEtcdFact]
    public async Task Campaign_TheSecondNodeWaits_AndTakesOverWithAHigherEpochWhenTheFirstResigns()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var one = await ConnectAsync(connect, 1);
        await using var two = await ConnectAsync(connect, 2);

        var first = await one.Log.CampaignAsync(default);
        await WaitForLeadershipAsync(two.Log, l => l == first);
        var second = two.Log.CampaignAsync(default).AsTask();
        Assert.False(second.IsCompleted);
        await one.Log.AppendAsync([Topic("x")], first.Epoch, default);
        await one.Log.ResignAsync(default);

        var elected = await second.WaitAsync(WaitLimit);
        Assert.Equal(2, elected.ControllerId);
        Assert.True(elected.Epoch > first.Epoch);
        await WaitForLeadershipAsync(one.Log, l => l == elected);
        Assert.Equal(1, await two.Log.AppendAsync([Topic("y")], elected.Epoch, default));
        await Assert.ThrowsAsync<NotControllerException>(() => one.Log.AppendAsync([Topic("z")], first.Epoch, default).AsTask());
    }

    [RequiresEtcdFact]
    public async Task Append_ByADeposedControllerThatHasNotNoticed_IsRefusedByEtcd()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var one = await ConnectAsync(connect, 1);
        await using var two = await ConnectAsync(connect, 2);
        var first = await one.Log.CampaignAsync(default);
        await one.Log.AppendAsync([Topic("before")], first.Epoch, default);
        one.Log.FreezeLocalViewForTests = true;

        // Node 1's controller lease is revoked behind its back (as an expiry would): node 2 is elected while node 1
        // still believes it is the controller, so only etcd's compare on the election key can stop its append.
        var campaign = two.Log.CampaignAsync(default).AsTask();
        await RevokeAsync(connect, one.ControllerSessionLeaseId);
        var second = await campaign.WaitAsync(WaitLimit);

        await Assert.ThrowsAsync<NotControllerException>(() => one.Log.AppendAsync([Topic("stale")], first.Epoch, default).AsTask());
        Assert.Equal(1, one.Log.FencedAppends);
        Assert.Equal(1, await two.Log.AppendAsync([Topic("after")], second.Epoch, default));
        var records = (await two.Log.ReadCommittedAsync(-1, default).ToListAsync()).SelectMany(b => b.Records).Cast<TopicRecord>();
        Assert.Equal(["before", "after"], records.Select(r => r.Name));
    }

    [RequiresEtcdFact]
    public async Task Follower_BehindACompaction_IsToldToReloadTheSnapshot_AndContinuesFromIt()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var controller = await ConnectAsync(connect, 1);
        await using var follower = await EtcdMetadataStore.ConnectAsync(new EtcdMetadataOptions { Connect = connect, NodeId = 2, ReadPageSize = 2 });
        var epoch = (await controller.Log.CampaignAsync(default)).Epoch;
        for (var i = 0; i < 10; i++)
        {
            await controller.Log.AppendAsync([Topic($"t{i}")], epoch, default);
        }

        // The follower is mid-way through its catch-up (pages of 2 at a pinned revision) when the snapshot lands.
        using var cts = new CancellationTokenSource(WaitLimit);
        await using var reader = follower.Log.FollowAsync(-1, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(0, reader.Current.BaseOffset);
        var snapshotRecords = Enumerable.Range(0, 8).Select(i => (MetadataRecord)Topic($"s{i}")).ToList();
        await controller.Log.WriteSnapshotAsync(new MetadataSnapshot(7, snapshotRecords), default);
        await controller.Log.AppendAsync([Topic("t10")], epoch, default);

        var error = await Assert.ThrowsAsync<MetadataSnapshotRequiredException>(async () =>
        {
            while (await reader.MoveNextAsync())
            {
            }
        });
        Assert.Equal(7, error.SnapshotOffset);

        var snapshot = await follower.Log.ReadLatestSnapshotAsync(default);
        Assert.Equal(7, snapshot!.Offset);
        Assert.Equal(snapshotRecords, snapshot.Records);
        var rest = new List<MetadataBatch>();
        await foreach (var batch in follower.Log.FollowAsync(snapshot.Offset, cts.Token))
        {
            rest.Add(batch);
            if (batch.LastOffset == 10)
            {
                break;
            }
        }

        Assert.Equal([8L, 9L, 10L], rest.Select(b => b.BaseOffset));
        var history = await HistoryIsCompactedAsync(connect);
        Assert.True(history, "etcd history before the snapshot should be compacted");
    }

    [RequiresEtcdFact]
    public async Task Snapshot_LargerThanOneEtcdRequest_IsStoredInChunks_AndReadBackWhole()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var controller = await ConnectAsync(connect, 1);
        var epoch = (await controller.Log.CampaignAsync(default)).Epoch;
        await controller.Log.AppendAsync([Topic("t")], epoch, default);

        // About 3 MiB of records: more than etcd's ~1.5 MiB request cap, so it must go in chunks.
        var big = Enumerable.Range(0, 3000).Select(i => (MetadataRecord)new ConfigRecord(ConfigResourceType.Topic, "t", $"k{i}", new string('v', 1000))).ToList();
        await controller.Log.WriteSnapshotAsync(new MetadataSnapshot(0, big), default);

        await using var reader = await ConnectAsync(connect, 2);
        Assert.Equal(big, reader.Log.LatestSnapshot!.Records);
    }

    [RequiresEtcdFact]
    public async Task ClusterId_IsCreatedByTheFirstBroker_AndKeptForTheOthers()
    {
        var connect = etcd.Cluster.Connect(FreshPrefix());
        await using var one = await ConnectAsync(connect, 1);
        await using var two = await ConnectAsync(connect, 2);

        Assert.Equal("first", await one.GetOrCreateClusterIdAsync("first", default));
        Assert.Equal("first", await two.GetOrCreateClusterIdAsync("second", default));
    }

    private static async Task RevokeAsync(EtcdConnectString connect, long lease)
    {
        using var channel = GrpcChannel.ForAddress(connect.Endpoints[0].ToUri());
        await new Lease.LeaseClient(channel).LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: DateTime.UtcNow.AddSeconds(5));
    }

    /// <summary>True when reading the log prefix at revision 1 fails because etcd compacted it.</summary>
    private static async Task<bool> HistoryIsCompactedAsync(EtcdConnectString connect)
    {
        using var channel = GrpcChannel.ForAddress(connect.Endpoints[0].ToUri());
        try
        {
            await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(connect.Prefix + "/log/"), Revision = 1 },
                deadline: DateTime.UtcNow.AddSeconds(5));
            return false;
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.OutOfRange)
        {
            return true;
        }
    }
}
