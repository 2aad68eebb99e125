namespace Wharf.Testing.Faults.Nemesis;

/// <summary>The faults a <see cref="Nemesis"/> can inject; each has a start and a heal.</summary>
public enum NemesisKind
{
    /// <summary>kill -9 of the chosen partition's leader; heal: restart it on its data.</summary>
    KillLeader,

    /// <summary>kill -9 of a broker chosen at random; heal: restart it.</summary>
    KillRandomBroker,

    /// <summary>SIGSTOP of the chosen partition's leader; heal: SIGCONT (a stale leader wakes up).</summary>
    PauseLeader,

    /// <summary>The leader cut off (both ways) from every other broker; clients and etcd still reach it.</summary>
    IsolateLeaderFromFollowers,

    /// <summary>The leader cut off from etcd; brokers and clients still reach it.</summary>
    IsolateLeaderFromEtcd,

    /// <summary>The leader cut off from the other brokers and from etcd; only clients reach it.</summary>
    IsolateLeaderFromBoth,

    /// <summary>kill -9 of one etcd member (needs an ensemble of 3); heal: restart it on its data.</summary>
    KillEtcdMember,

    /// <summary>
    /// Clients' EndTxn requests (API 26) held back for the fault's duration on their way to every broker, so a late
    /// commit or abort arrives after later requests of other connections (KAFKA-17754); heal: let them go.
    /// </summary>
    HoldEndTxn,
}
