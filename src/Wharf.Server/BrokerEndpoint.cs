namespace Wharf.Server;

/// <summary>This broker's id and the address clients are told to use (set once the listener is bound).</summary>
public sealed class BrokerEndpoint(int nodeId)
{
    public int NodeId { get; } = nodeId;

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; }
}
