using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Wharf.TestKit;
using Wharf.Metadata.Etcd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Wharf.Metadata.Etcd.Tests.Infrastructure.Nodes;

namespace Wharf.Metadata.Etcd.Tests;

/// <summary>A 3-member etcd losing members (kill -9) under the metadata log and the sessions.</summary>
public sealed class EtcdMemberLossTests(ITestOutputHelper output)
{
    [RequiresEtcdFact]
    public async Task KillingTheEtcdLeaderDuringAppends_LosesAndReordersNothingAcknowledged()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        var connect = cluster.Connect(FreshPrefix());
        // The etcd leader's death stalls renewals for about a second and a half (election and reconnect): with the 2 s
        // default the controller role moves to another broker then (nothing is lost; a new controller reads the log).
        // This test is about the log itself, so its controller keeps its role through the stall.
        await using var controller = await ConnectAsync(connect, 1, controllerSessionTimeout: TimeSpan.FromSeconds(5), logs: Logs("node 1"));
        await using var follower = await ConnectAsync(connect, 2, logs: Logs("node 2"));
        var epoch = (await controller.Log.CampaignAsync(default)).Epoch;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var followed = new List<long>();
        var following = Task.Run(async () =>
        {
            await foreach (var batch in follower.Log.FollowAsync(-1, cts.Token))
            {
                followed.Add(batch.BaseOffset);
                if (batch.BaseOffset == 399)
                {
                    return;
                }
            }
        });

        var acknowledged = new List<long>();
        var longest = TimeSpan.Zero;
        for (var i = 0; i < 400; i++)
        {
            if (i == 150)
            {
                var leader = await cluster.LeaderAsync();
                output.WriteLine($"kill -9 of etcd leader {cluster.Members[leader].Name} after {i} appends");
                cluster.Members[leader].Kill();
            }

            var started = Stopwatch.GetTimestamp();
            acknowledged.Add(await controller.Log.AppendAsync([Topic($"t{i}")], epoch, default));
            var took = Stopwatch.GetElapsedTime(started);
            longest = took > longest ? took : longest;
        }

        output.WriteLine($"longest append across the etcd leader's death: {longest.TotalMilliseconds:0} ms");
        Assert.Equal(Enumerable.Range(0, 400).Select(i => (long)i), acknowledged);
        await following.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(acknowledged, followed);

        await using var fresh = await ConnectAsync(connect, 3);
        var stored = await fresh.Log.ReadCommittedAsync(-1, default).ToListAsync();
        Assert.Equal(acknowledged, stored.Select(b => b.BaseOffset));
        Assert.Equal(Enumerable.Range(0, 400).Select(i => $"t{i}"), stored.Select(b => ((TopicRecord)b.Records[0]).Name));
    }

    [RequiresEtcdFact]
    public async Task KeepAliveSupervisor_SurvivesTheLossOfTheMemberItTalksTo()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        // The killed member may be etcd's raft leader: renewals then stall until the others elect one, over two seconds
        // on a loaded machine. The TTL leaves room for that, as the 9 s default broker.session.timeout.ms does; the
        // controller session gets the same (its 2 s default gives the role up in such a stall, by design).
        var ttl = TimeSpan.FromSeconds(6);

        // The node talks to members 0 and 1 only; killing both in turn (restarting the first) is sure to cut its
        // keep-alive stream once, whichever member that stream was on.
        await using var node = await ConnectAsync(cluster.Connect(FreshPrefix(), 0, 1), 1, sessionTimeout: ttl, heartbeat: TimeSpan.FromMilliseconds(500), controllerSessionTimeout: ttl, logs: Logs("node 1"));
        var lease = node.SessionLeaseId;
        var sessions = new List<long>();
        node.Brokers.SessionChanged += s => sessions.Add(s.BrokerEpoch);
        await node.Brokers.RegisterAsync(new BrokerRegistration(1, Guid.NewGuid(), [], null), default);

        foreach (var member in new[] { 0, 1 })
        {
            var restarts = node.KeepAliveRestarts;
            cluster.Members[member].Kill();
            await Poll.UntilAsync(() => node.KeepAliveRestarts > restarts, ttl);
            cluster.Members[member].Start();
            await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
            if (node.KeepAliveRestarts > restarts)
            {
                break;
            }
        }

        Assert.True(node.KeepAliveRestarts > 0, "no keep-alive stream was cut; the test did not exercise the supervisor");

        // Outlive a whole TTL after the cut: the lease must still be the same one, renewed by the restarted stream.
        var renewedPastTtl = await node.Log.CampaignAsync(default).AsTask().WaitAsync(WaitLimit);
        await Task.Delay(ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(lease, node.SessionLeaseId);
        Assert.Single(sessions);
        Assert.Equal(1, node.Log.Leadership.ControllerId);
        Assert.Equal(renewedPastTtl.Epoch, node.Log.Leadership.Epoch);
    }

    private TestOutputLoggerFactory Logs(string node) => new(output, node, LogLevel.Information);
}
