using System.Globalization;

namespace Wharf.Testing.Faults;

/// <summary>What sits at one end of a link the fault proxies control.</summary>
public enum FaultEndpointKind
{
    /// <summary>A broker, by node id.</summary>
    Broker,

    /// <summary>Every Kafka client that is not a broker (producers, consumers, admin tools).</summary>
    Clients,

    /// <summary>The etcd ensemble (every member).</summary>
    Etcd,
}

/// <summary>
/// One end of a directed link (<c>from → to</c>) in a <see cref="FaultNetwork"/>: a broker by node id, all clients, or
/// etcd. Immutable.
/// </summary>
public readonly record struct FaultEndpoint(FaultEndpointKind Kind, int NodeId)
{
    public static FaultEndpoint Clients => new(FaultEndpointKind.Clients, 0);

    public static FaultEndpoint Etcd => new(FaultEndpointKind.Etcd, 0);

    public static FaultEndpoint Broker(int nodeId) => new(FaultEndpointKind.Broker, nodeId);

    public override string ToString() => Kind switch
    {
        FaultEndpointKind.Broker => "broker " + NodeId.ToString(CultureInfo.InvariantCulture),
        FaultEndpointKind.Clients => "clients",
        _ => "etcd",
    };
}
