namespace Wharf.Network;

/// <summary>Limits the network layer enforces before any request is decoded.</summary>
public sealed record NetworkOptions
{
    /// <summary><c>socket.request.max.bytes</c>: a larger frame closes the connection before it is buffered.</summary>
    public int MaxRequestBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>Name of the listener, as in <c>listeners</c> (e.g. PLAINTEXT).</summary>
    public string ListenerName { get; init; } = "PLAINTEXT";
}
