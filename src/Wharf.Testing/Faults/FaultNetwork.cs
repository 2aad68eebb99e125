using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Wharf.Testing.Faults;

/// <summary>Which of a broker's links <see cref="FaultNetwork.Isolate"/> cuts.</summary>
public enum IsolationScope
{
    /// <summary>Both ways between it and every other broker (clients and etcd still reach it).</summary>
    FromBrokers,

    /// <summary>Both ways between it and etcd.</summary>
    FromEtcd,

    /// <summary>Both of the above: only clients still reach it.</summary>
    FromBrokersAndEtcd,
}

/// <summary>
/// The rule table every <see cref="FaultProxy"/> of one cluster consults: a <see cref="LinkRule"/> per directed link
/// (<c>from → to</c>), <see cref="LinkRule.Pass"/> when none is set. Changing a rule takes effect on open connections
/// at once (held bytes move on, resets happen) and on every new one.
/// Thread-safety: rules are an immutable map swapped under a lock; readers take a snapshot without locking. Every change
/// completes the task of <see cref="Changed"/> so pumps waiting at a blackhole re-check.
/// </summary>
public sealed class FaultNetwork
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<(FaultEndpoint From, FaultEndpoint To), byte> _seen = new();
    private ImmutableDictionary<(FaultEndpoint From, FaultEndpoint To), LinkRule> _rules = ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule>.Empty;
    private ImmutableSortedSet<int> _brokers = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The brokers that have a proxy in this network (the "other brokers" of <see cref="Isolate"/>).</summary>
    public IReadOnlyCollection<int> Brokers => Volatile.Read(ref _brokers);

    /// <summary>Every link whose rule is not <see cref="LinkRule.Pass"/>.</summary>
    public IReadOnlyDictionary<(FaultEndpoint From, FaultEndpoint To), LinkRule> Rules => Volatile.Read(ref _rules);

    /// <summary>Open proxied connections right now (for leak checks).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Every link (source → destination) a connection has been opened on so far: what really goes through the proxies.</summary>
    public IReadOnlyCollection<(FaultEndpoint From, FaultEndpoint To)> SeenLinks => [.. _seen.Keys];

    /// <summary>Completes at the next rule change.</summary>
    internal Task Changed => Volatile.Read(ref _changed).Task;

    public LinkRule RuleFor(FaultEndpoint from, FaultEndpoint to) => Volatile.Read(ref _rules).GetValueOrDefault((from, to), LinkRule.Pass);

    /// <summary>Sets the rule of the one-way link <paramref name="from"/> → <paramref name="to"/>.</summary>
    public void Set(FaultEndpoint from, FaultEndpoint to, LinkRule rule) => Update(rules => With(rules, from, to, rule));

    /// <summary>Sets <paramref name="rule"/> both ways between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public void SetBothWays(FaultEndpoint a, FaultEndpoint b, LinkRule rule) => Update(rules => With(With(rules, a, b, rule), b, a, rule));

    /// <summary>Blackholes both ways between every member of <paramref name="sideA"/> and every member of <paramref name="sideB"/>.</summary>
    public void Partition(IEnumerable<FaultEndpoint> sideA, IEnumerable<FaultEndpoint> sideB)
    {
        var a = sideA.ToArray();
        var b = sideB.ToArray();
        Update(rules =>
        {
            foreach (var x in a)
            {
                foreach (var y in b.Where(y => y != x))
                {
                    rules = With(With(rules, x, y, LinkRule.Blackhole), y, x, LinkRule.Blackhole);
                }
            }

            return rules;
        });
    }

    /// <summary>Cuts broker <paramref name="nodeId"/> off (blackhole, both ways) as <paramref name="scope"/> says.</summary>
    public void Isolate(int nodeId, IsolationScope scope)
    {
        var node = FaultEndpoint.Broker(nodeId);
        var others = new List<FaultEndpoint>();
        if (scope is IsolationScope.FromBrokers or IsolationScope.FromBrokersAndEtcd)
        {
            others.AddRange(Brokers.Where(b => b != nodeId).Select(FaultEndpoint.Broker));
        }

        if (scope is IsolationScope.FromEtcd or IsolationScope.FromBrokersAndEtcd)
        {
            others.Add(FaultEndpoint.Etcd);
        }

        Partition([node], others);
    }

    /// <summary>Every link back to <see cref="LinkRule.Pass"/>.</summary>
    public void HealAll() => Update(_ => ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule>.Empty);

    /// <summary>One line per non-pass rule, for logs.</summary>
    public string Describe()
    {
        var rules = Rules;
        return rules.Count == 0 ? "all links pass" : string.Join("; ", rules.OrderBy(r => r.Key.From.ToString(), StringComparer.Ordinal).ThenBy(r => r.Key.To.ToString(), StringComparer.Ordinal).Select(r => $"{r.Key.From} -> {r.Key.To}: {r.Value}"));
    }

    internal void AddBroker(int nodeId) => ImmutableInterlocked.Update(ref _brokers, set => set.Add(nodeId));

    internal void Register(ProxyConnection connection)
    {
        _connections[connection] = 0;
        _seen[(connection.Source, connection.Destination)] = 0;
        if (ShouldReset(connection))
        {
            connection.Abort();
        }
    }

    internal void Unregister(ProxyConnection connection) => _connections.TryRemove(connection, out _);

    internal bool ShouldReset(ProxyConnection connection) =>
        RuleFor(connection.Source, connection.Destination).Reset || RuleFor(connection.Destination, connection.Source).Reset;

    private static ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule> With(ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule> rules, FaultEndpoint from, FaultEndpoint to, LinkRule rule) =>
        rule.IsPass ? rules.Remove((from, to)) : rules.SetItem((from, to), rule);

    private void Update(Func<ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule>, ImmutableDictionary<(FaultEndpoint, FaultEndpoint), LinkRule>> change)
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            Volatile.Write(ref _rules, change(_rules));
            previous = _changed;
            Volatile.Write(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        foreach (var connection in _connections.Keys.Where(c => c.IsIdentified && ShouldReset(c)))
        {
            connection.Abort();
        }

        previous.TrySetResult();
    }
}
