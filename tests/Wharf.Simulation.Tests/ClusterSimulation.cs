using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Simulation.Tests;

/// <summary>A deliberate defect of the simulated system, to show that the checker catches what it should.</summary>
public enum SimulationBreak
{
    None,

    /// <summary>The client counts a produce as acknowledged once the leader has it durably (acks=1), not the ISR.</summary>
    AckAtLeaderLogEnd,

    /// <summary>
    /// A follower's fetch offset is not a durability promise: as if it fetched again before its append was fsync'd, a
    /// crash may take back what it reported (its fetches do not pin its crash cut, see <see cref="SimNode"/>).
    /// </summary>
    FollowerReportsBeforeDurable,
}

/// <summary>One schedule: its seed, how many steps, and an optional defect.</summary>
internal sealed record SimulationOptions(int Seed, int Steps = 300, int Partitions = 3, SimulationBreak Break = SimulationBreak.None);

/// <summary>The outcome of one schedule: null <see cref="Violation"/> when every invariant held; the trace of its steps.</summary>
internal sealed record SimulationResult(int Seed, int Steps, int FaultEvents, int Acknowledged, int Consumed, string? Violation, IReadOnlyList<string> Trace)
{
    /// <summary>The violation with the last <paramref name="lines"/> steps of the trace, to reproduce with the seed.</summary>
    public string Report(int lines = 150) =>
        $"seed {Seed}: {Violation}\n--- last {Math.Min(lines, Trace.Count)} of {Trace.Count} trace lines ---\n{string.Join("\n", Trace.TakeLast(lines))}";
}

/// <summary>
/// A seeded, deterministic, virtual-time simulation of a 3-node cluster (design §9): the real <see cref="Controller"/>
/// (active, over an <see cref="InMemoryMetadataLog"/>) and three nodes, each a real <see cref="ReplicaManager"/> over a
/// real <see cref="LogManager"/> on a <see cref="Wharf.TestKit.SimulatedDisk"/>. Nothing runs by itself: every step the
/// seeded scheduler picks one action — a client produce (acks=-1) or consumer read, a follower fetch (served by the
/// leader's <see cref="Partition.ReadForFollower"/>, applied by the follower's <see cref="Partition.ApplyLeaderAnswer"/>,
/// the decision code of the real fetcher), delivering a metadata batch to a node or an ISR proposal to the controller,
/// advancing the <see cref="FakeTimeProvider"/> (ISR shrink timers), and faults: crash and restart a node from what its
/// disk made durable, isolate and heal it, pause and wake it, expire its session (the controller fences it) — then
/// waits until the step's effects have settled (fsyncs done, high watermarks and acknowledgements through) and checks
/// the invariants (ClusterSimulation.Invariants.cs). At the end everything is healed, replication settles, and
/// every acknowledged and consumed record must be in the leader's log, every in-sync replica equal to it.
/// <para>
/// Determinism: the only other thread is each log's flusher, whose work every step waits for; all choices come from
/// one seeded <see cref="Random"/> over lists in a fixed order, so a seed replays the same schedule.
/// </para>
/// Thread-safety: one thread drives a simulation. Lifecycle: <see cref="Run"/> once, then dispose (deletes the
/// temporary directories).
/// </summary>
internal sealed partial class ClusterSimulation : IDisposable
{
    public const string Topic = "sim";
    private const string ClusterId = "simulated-cluster";
    private const int ControllerId = 100;
    private const int NodeCount = 3;
    private static readonly TimeSpan LagMax = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(20);

    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly string _root;
    private readonly LogConfig _config;
    private readonly InMemoryMetadataLog _metadataLog;
    private readonly Controller _controller;
    private readonly SimNode[] _nodes = new SimNode[NodeCount];
    private readonly Dictionary<int, (Guid Incarnation, bool Alive)> _sessions = [];
    private readonly List<FetchAnswerMessage> _fetchAnswers = [];
    private readonly List<ProduceCall> _produces = [];
    private readonly List<string> _trace = [];
    private int _step;
    private int _faults;
    private long _values;
    private string? _violation;

    public ClusterSimulation(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _root = Directory.CreateTempSubdirectory($"wharf-sim-{options.Seed}-").FullName;
        _config = new LogConfig
        {
            FlushMode = LogFlushMode.Ack,
            MinInsyncReplicas = 2,
            SegmentBytes = 4096,
            SegmentIndexBytes = 1024,
            IndexIntervalBytes = 256,
        };
        var brokerConfig = BrokerConfigLoader.Load(new BrokerConfigSources
        {
            Overrides = [new("node.id", $"{ControllerId}"), new("unclean.leader.election.enable", "false")],
        });
        _metadataLog = new InMemoryMetadataLog(new MetadataLeadership(ControllerId, 1));
        _controller = new Controller(_metadataLog, MetadataImage.Empty(ClusterId, ControllerId, ControllerId), brokerConfig,
            new ControllerOptions { SnapshotEveryRecords = 0, NewTopicId = NewGuid });
    }

    private int Partitions => _options.Partitions;

    private bool Failed => _violation is not null;

    /// <summary>Runs the schedule: set-up, <see cref="SimulationOptions.Steps"/> steps, healing, the final checks.</summary>
    public SimulationResult Run()
    {
        // The answer to a proposal must be applied inline, within its step: awaits continue inline only where no
        // synchronization context is installed (the test runner installs one).
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            SetUp();
            for (_step = 1; _step <= _options.Steps && !Failed; _step++)
            {
                TakeStep();
                Settle();
                CheckInvariants();
            }

            if (!Failed)
            {
                HealAndConverge();
            }

            if (!Failed)
            {
                CheckFinalState();
            }
        }
#pragma warning disable CA1031 // Any exception of the system under test is a finding, reported with the trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Violate($"unexpected exception: {e}");
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return new SimulationResult(_options.Seed, _options.Steps, _faults, _acknowledged.Count, _consumed.Count, _violation, _trace);
    }

    public void Dispose()
    {
        foreach (var node in _nodes.Where(n => n is not null))
        {
            node.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A flusher still closing a file; the temporary directory is left behind.
        }
    }

    private void SetUp()
    {
        for (var id = 1; id <= NodeCount; id++)
        {
            var directory = Path.Combine(_root, $"node{id}-gen0");
            Directory.CreateDirectory(directory);
            _nodes[id - 1] = SimNode.Start(id, 0, NewGuid(), directory, _time, _config, LagMax, ClusterId, ControllerId);
            _nodes[id - 1].Sender.Submitted = m => Trace("propose", m.Describe());
            Register(_nodes[id - 1]);
        }

        ReconcileBrokers();
        var assignments = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => (IReadOnlyList<int>)[.. Enumerable.Range(0, NodeCount).Select(i => (p + i) % NodeCount + 1)]);
        var created = Sync(_controller.CreateTopicsAsync([new CreateTopicRequest(Topic, Configs: [new("min.insync.replicas", "2")], Assignments: assignments)], false, CancellationToken.None))[0];
        if (created.Error != Common.ErrorCode.None)
        {
            throw new InvalidOperationException($"Creating the topic failed: {created.Error} {created.ErrorMessage}");
        }

        foreach (var node in _nodes)
        {
            DeliverMetadata(node, int.MaxValue);
        }

        Trace("set-up", $"topic {Topic} with {Partitions} partitions, RF {NodeCount}, min.insync.replicas 2; {Describe()}");
    }

    /// <summary>Picks one action among those possible now, weighted, and runs it.</summary>
    private void TakeStep()
    {
        var actions = new List<(double Weight, Action Run)>();
        void Add(double weight, Action run) => actions.Add((weight, run));

        Add(20, Produce);
        Add(6, Consume);
        foreach (var node in _nodes.Where(n => n.CanAct))
        {
            foreach (var partition in FollowedPartitions(node))
            {
                Add(25.0 / NodeCount / Partitions * 2, () => Fetch(node, partition));
            }

            if (node.AppliedBatches < _metadataLog.Batches.Count && !node.Isolated)
            {
                Add(4, () => DeliverMetadata(node, 1 + _random.Next(3)));
            }

            if (node.NeedsRegistration && !node.Isolated && !(_sessions.TryGetValue(node.Id, out var s) && s.Alive && s.Incarnation != node.Incarnation))
            {
                Add(3, () => Register(node));
            }

            if (!node.NeedsRegistration && !IsSessionAlive(node))
            {
                Add(3, () => NoticeSessionLost(node));
            }
        }

        foreach (var answer in _fetchAnswers.Where(a => Node(a.FollowerId).CanAct))
        {
            Add(15.0 / Math.Max(1, _fetchAnswers.Count), () => DeliverFetchAnswer(answer, lose: _random.Next(20) == 0));
        }

        var proposals = PendingProposals();
        foreach (var proposal in proposals)
        {
            Add(8.0 / proposals.Count, () => DeliverProposal(proposal, _random.Next(10)));
        }

        Add(8, () => AdvanceTime(_random.Next(4) switch { 0 => 200, 1 => 1000, 2 => 3000, _ => 7000 }));
        Add(4, ReconcileBrokers);

        // Faults.
        foreach (var node in _nodes)
        {
            Add(1.2 / NodeCount, () => Crash(node));
            if (_sessions.TryGetValue(node.Id, out var session) && session.Alive && (session.Incarnation != node.Incarnation || node.Paused || node.Isolated))
            {
                Add(2, () => ExpireSession(node));
            }
        }

        if (_nodes.All(n => !n.Paused))
        {
            var node = _nodes[_random.Next(NodeCount)];
            Add(0.8, () => Pause(node));
        }
        else
        {
            Add(2, () => Wake(_nodes.First(n => n.Paused)));
        }

        if (_nodes.All(n => !n.Isolated))
        {
            var node = _nodes[_random.Next(NodeCount)];
            Add(0.8, () => Isolate(node));
        }
        else
        {
            Add(1.5, () => Heal(_nodes.First(n => n.Isolated)));
        }

        var pick = _random.NextDouble() * actions.Sum(a => a.Weight);
        foreach (var (weight, run) in actions)
        {
            pick -= weight;
            if (pick <= 0)
            {
                run();
                return;
            }
        }

        actions[^1].Run();
    }

    /// <summary>
    /// Waits until the step's effects are through, so the next step sees the same state on every run: every requested
    /// fsync done (followers' appends durable and their high watermark taken), every leader's high watermark at the
    /// minimum its in-sync replicas allow (the flusher's continuations advance it), and every produce whose outcome is
    /// decided completed. Then each node records its crash point for this step.
    /// </summary>
    private void Settle()
    {
        Quiesce();
        foreach (var node in _nodes)
        {
            node.EndStep();
        }
    }

    /// <summary>
    /// The waiting part of <see cref="Settle"/>, also done between the parts of a step that changes several things
    /// (several metadata batches, a healing round): a produce woken by one change must have decided before the next.
    /// </summary>
    private void Quiesce()
    {
        foreach (var node in _nodes)
        {
            foreach (var partition in node.Replicas.Partitions.Where(p => p.DurableEndOffset < p.LogEndOffset && !p.IsOffline))
            {
                Wait(partition.WhenDurable(partition.LogEndOffset), $"node {node.Id}: {partition.TopicPartition} durable to {partition.LogEndOffset}");
            }

            foreach (var append in node.PendingFollowerAppends)
            {
                Wait(append, $"node {node.Id}: a follower append durable");
            }

            node.PendingFollowerAppends.Clear();
            foreach (var partition in node.Replicas.Partitions.Where(p => p.IsLeader))
            {
                var expected = ExpectedHighWatermark(partition);
                var deadline = DateTime.UtcNow + SettleTimeout;
                while (partition.HighWatermark < expected && DateTime.UtcNow < deadline)
                {
                    Thread.Yield();
                }

                if (partition.HighWatermark < expected)
                {
                    Violate($"node {node.Id}: the high watermark of {partition.TopicPartition} stays at {partition.HighWatermark} though its in-sync replicas hold {expected} durably");
                    return;
                }
            }
        }

        SettleProduces();
    }

    /// <summary>The high watermark the leader's own rule gives now: the least durable end over its maximal ISR (-1 while one is unknown).</summary>
    private static long ExpectedHighWatermark(Partition partition)
    {
        var expected = partition.DurableEndOffset;
        var followers = partition.FollowerStates.ToDictionary(f => f.BrokerId);
        foreach (var replica in partition.MaximalIsr.Where(r => r != partition.LocalBrokerId))
        {
            if (!followers.TryGetValue(replica, out var state) || state.LogEndOffset < 0)
            {
                return -1;
            }

            expected = Math.Min(expected, state.LogEndOffset);
        }

        return expected;
    }

    private void Wait(Task task, string what)
    {
        try
        {
            if (!task.Wait(SettleTimeout))
            {
                Violate($"stuck: {what} did not complete within {SettleTimeout.TotalSeconds} s (real time)");
            }
        }
        catch (AggregateException)
        {
            // A failed fsync or a closed log: the outcome is judged by the invariants, not here.
        }
    }

    private SimNode Node(int id) => _nodes[id - 1];

    private bool IsSessionAlive(SimNode node) =>
        _sessions.TryGetValue(node.Id, out var session) && session.Alive && session.Incarnation == node.Incarnation;

    private IEnumerable<int> FollowedPartitions(SimNode node) =>
        Enumerable.Range(0, Partitions).Where(p => node.Partition(p) is { Leadership: { Role: PartitionRole.Follower, LeaderId: >= 0 } } && !node.FetchesInFlight.Contains(p));

    /// <summary>Proposals waiting, in a fixed order (a timer raises several in the replica manager's hash order).</summary>
    private List<ProposalMessage> PendingProposals() =>
        [.. _nodes.Where(n => n.CanAct).SelectMany(n => n.Sender.Pending).OrderBy(m => m.From.NodeId).ThenBy(m => m.Proposal.TopicPartition.Partition).ThenBy(m => m.Proposal.LeaderEpoch)];

    private Guid NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static T Sync<T>(Task<T> task) =>
        task.IsCompleted ? task.GetAwaiter().GetResult() : throw new InvalidOperationException("The controller over an in-memory log answers synchronously; the simulation relies on it.");

    private void Trace(string action, string detail) =>
        _trace.Add($"#{_step,4} t+{(_time.GetUtcNow() - new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalSeconds,7:0.0}s {action}: {detail}");

    private void Violate(string violation)
    {
        if (_violation is null)
        {
            _violation = $"step {_step}: {violation}";
            Trace("VIOLATION", violation);
            _trace.Add($"state: {Describe()}");
        }
    }

    /// <summary>Every node's view: per partition its role, leader epoch, log end, high watermark.</summary>
    private string Describe() => string.Join(" | ", _nodes.Select(n =>
        $"n{n.Id}g{n.Generation}{(n.Paused ? " paused" : "")}{(n.Isolated ? " isolated" : "")}{(n.Replicas.IsLeadershipSuspended ? " suspended" : "")} md{n.Image.Offset}: "
        + string.Join(" ", Enumerable.Range(0, Partitions).Select(p => n.Partition(p) is { } x
            ? $"p{p}={Role(x.Role)}{x.LeaderEpoch}[{x.LogStartOffset}-{x.HighWatermark}-{x.LogEndOffset}]"
            : $"p{p}=-"))))
        + $" | controller md{_controller.Current.Offset}: " + string.Join(" ", Enumerable.Range(0, Partitions).Select(p => ControllerPartition(p) is { } x
            ? $"p{p}=L{x.Leader}e{x.LeaderEpoch}isr[{string.Join(",", x.Isr)}]"
            : $"p{p}=?"));

    private static string Role(PartitionRole role) => role switch
    {
        PartitionRole.Leader => "L",
        PartitionRole.Follower => "F",
        PartitionRole.Offline => "X",
        PartitionRole.Stopped => "S",
        _ => "?",
    };

    private PartitionImage? ControllerPartition(int partition) =>
        _controller.Current.TryGetPartition(new Common.TopicPartition(Topic, partition), out var image) ? image : null;

    /// <summary>A follower fetch answered by the leader, on its way back to the follower.</summary>
    private sealed record FetchAnswerMessage(int FollowerId, int FollowerGeneration, int LeaderId, int Partition, int LeaderEpoch, long FetchOffset, LeaderFetchAnswer Answer);

    /// <summary>A client's produce waiting for its acknowledgement.</summary>
    private sealed record ProduceCall(SimNode Node, Partition Partition, int Term, long ExpectedEnd, ImmutableArray<string> Values, short Acks, Task<LogAppendInfo> Task, int Step);
}
