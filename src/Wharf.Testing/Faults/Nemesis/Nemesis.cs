using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Nemesis;

/// <summary>One fault event as it happened: milliseconds since the run began (the history's clock) and what was done.</summary>
public sealed record FaultEvent(long Time, NemesisKind? Kind, string Description);

/// <summary>
/// Injects the faults of a <see cref="FaultSchedule"/> into a <see cref="WharfCluster"/> (started with
/// <see cref="WharfClusterOptions.FaultProxies"/>, and 3 etcd members for <see cref="NemesisKind.KillEtcdMember"/>):
/// kills and restarts, pauses and resumes, partitions and heals, at the schedule's times in real time. A partition's
/// leader is looked up when its fault starts (asked of a broker directly). Every start and heal is recorded in
/// <see cref="Events"/> and as a fault line in the history. <see cref="HealEverythingAsync"/> undoes whatever is still
/// broken, for the final drain.
/// Thread-safety: drive from one task; <see cref="Events"/> may be read from any thread once that task is done.
/// </summary>
public sealed class Nemesis(WharfCluster cluster, string topic, int partitions, HistoryRecorder history)
{
    private readonly List<FaultEvent> _events = [];
    private readonly HashSet<int> _paused = [];
    private readonly HashSet<int> _killed = [];
    private readonly HashSet<EtcdMember> _killedEtcd = [];

    public IReadOnlyList<FaultEvent> Events => _events;

    private FaultNetwork Network => cluster.Network ?? throw new InvalidOperationException("the cluster was started without fault proxies");

    /// <summary>Runs every fault of <paramref name="schedule"/> at its time (relative to now), then returns; heals nothing more.</summary>
    public async Task RunAsync(FaultSchedule schedule, CancellationToken cancellationToken)
    {
        var origin = history.Now;
        foreach (var fault in schedule.Faults)
        {
            await WaitUntilAsync(origin, fault.Start, cancellationToken).ConfigureAwait(false);
            var heal = await StartAsync(fault, cancellationToken).ConfigureAwait(false);
            await WaitUntilAsync(origin, fault.End, cancellationToken).ConfigureAwait(false);
            await heal().ConfigureAwait(false);
        }
    }

    /// <summary>Starts <paramref name="fault"/> now; returns what heals it.</summary>
    public async Task<Func<Task>> StartAsync(ScheduledFault fault, CancellationToken cancellationToken)
    {
        switch (fault.Kind)
        {
            case NemesisKind.KillEtcdMember:
                {
                    var members = cluster.Etcd.Members;
                    if (members.Count < 3)
                    {
                        throw new InvalidOperationException("killing an etcd member needs an ensemble of 3 (WharfClusterOptions.EtcdMembers)");
                    }

                    var member = members[fault.Choice % members.Count];
                    member.Kill();
                    _killedEtcd.Add(member);
                    Record(fault.Kind, $"kill -9 etcd member {member.Name}");
                    return async () =>
                    {
                        await RestartEtcdAsync(member, cancellationToken).ConfigureAwait(false);
                    };
                }

            case NemesisKind.HoldEndTxn:
                {
                    const short EndTxn = 26;
                    foreach (var broker in cluster.NodeIds)
                    {
                        Network.Set(FaultEndpoint.Clients, FaultEndpoint.Broker(broker), LinkRule.Hold(EndTxn, fault.Duration));
                    }

                    Record(fault.Kind, $"hold clients' EndTxn for {fault.Duration.TotalSeconds:0.0} s: {Network.Describe()}");
                    return () =>
                    {
                        Network.HealAll();
                        Record(fault.Kind, "stop holding EndTxn (held ones still arrive late)");
                        return Task.CompletedTask;
                    };
                }

            case NemesisKind.KillRandomBroker:
                {
                    var running = cluster.RunningNodeIds.Except(_paused).ToArray();
                    var victim = running[fault.Choice % running.Length];
                    return KillBroker(fault.Kind, victim, "a random broker", cancellationToken);
                }
        }

        var partition = fault.Choice % partitions;
        var leader = await LeaderOfAsync(partition, cancellationToken).ConfigureAwait(false);
        var what = $"leader of {topic}-{partition}";
        if (leader is null)
        {
            var running = cluster.RunningNodeIds.Except(_paused).ToArray();
            leader = running[fault.Choice % running.Length];
            what = $"broker {leader} ({topic}-{partition} had no leader)";
        }

        var node = leader.Value;
        switch (fault.Kind)
        {
            case NemesisKind.KillLeader:
                return KillBroker(fault.Kind, node, what, cancellationToken);
            case NemesisKind.PauseLeader:
                cluster.Pause(node);
                _paused.Add(node);
                Record(fault.Kind, $"SIGSTOP broker {node}, the {what}");
                return () =>
                {
                    cluster.Resume(node);
                    _paused.Remove(node);
                    Record(fault.Kind, $"SIGCONT broker {node}");
                    return Task.CompletedTask;
                };
            default:
                var scope = fault.Kind switch
                {
                    NemesisKind.IsolateLeaderFromFollowers => IsolationScope.FromBrokers,
                    NemesisKind.IsolateLeaderFromEtcd => IsolationScope.FromEtcd,
                    _ => IsolationScope.FromBrokersAndEtcd,
                };
                Network.Isolate(node, scope);
                Record(fault.Kind, $"isolate broker {node}, the {what}, {scope}: {Network.Describe()}");
                return () =>
                {
                    Network.HealAll();
                    Record(fault.Kind, $"heal the network around broker {node}");
                    return Task.CompletedTask;
                };
        }
    }

    /// <summary>Heals the network, resumes paused brokers, restarts killed brokers and etcd members, and waits until every broker is live again.</summary>
    public async Task HealEverythingAsync(CancellationToken cancellationToken)
    {
        Network.HealAll();
        foreach (var node in _paused.ToArray())
        {
            cluster.Resume(node);
            _paused.Remove(node);
        }

        foreach (var member in _killedEtcd.ToArray())
        {
            await RestartEtcdAsync(member, cancellationToken).ConfigureAwait(false);
        }

        foreach (var node in cluster.NodeIds.Where(n => !cluster.RunningNodeIds.Contains(n)).ToArray())
        {
            await RestartBrokerAsync(NemesisKind.KillRandomBroker, node, cancellationToken).ConfigureAwait(false);
        }

        Record(null, "healed everything");
        await cluster.WaitForLiveBrokersAsync(cluster.NodeIds, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    private static async Task WaitUntilAsync(long origin, TimeSpan at, HistoryRecorder history, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromMilliseconds(origin) + at - TimeSpan.FromMilliseconds(history.Now);
        if (wait > TimeSpan.Zero)
        {
            // The schedule is the workload: faults happen at planned real times.
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task WaitUntilAsync(long origin, TimeSpan at, CancellationToken cancellationToken) => WaitUntilAsync(origin, at, history, cancellationToken);

    private Func<Task> KillBroker(NemesisKind kind, int node, string what, CancellationToken cancellationToken)
    {
        cluster.Kill(node);
        _killed.Add(node);
        Record(kind, $"kill -9 broker {node}, {what}");
        return () => RestartBrokerAsync(kind, node, cancellationToken);
    }

    private async Task RestartBrokerAsync(NemesisKind kind, int node, CancellationToken cancellationToken)
    {
        Record(kind, $"restart broker {node}");
        try
        {
            await cluster.RestartAsync(node, cancellationToken).ConfigureAwait(false);
            _killed.Remove(node);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Record(kind, $"broker {node} did not rejoin in time: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task RestartEtcdAsync(EtcdMember member, CancellationToken cancellationToken)
    {
        Record(NemesisKind.KillEtcdMember, $"restart etcd member {member.Name}");
        try
        {
            await member.RestartAsync(cancellationToken).ConfigureAwait(false);
            _killedEtcd.Remove(member);
        }
        catch (InvalidOperationException e)
        {
            Record(NemesisKind.KillEtcdMember, $"etcd member {member.Name} did not come back: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task<int?> LeaderOfAsync(int partition, CancellationToken cancellationToken)
    {
        var askable = cluster.RunningNodeIds.Except(_paused);
        var leaders = await PartitionLeaders.AskAsync(cluster, askable, topic, cancellationToken).ConfigureAwait(false);
        return leaders is not null && leaders.TryGetValue(partition, out var state) && state.Leader >= 0 && cluster.RunningNodeIds.Contains(state.Leader) ? state.Leader : null;
    }

    private void Record(NemesisKind? kind, string description)
    {
        var op = history.Record(new HistoryOp { Process = "nemesis", Type = OpType.Info, Op = OpKind.Fault, Value = description });
        lock (_events)
        {
            _events.Add(new FaultEvent(op.Time, kind, description));
        }
    }
}
