using Wharf.Network;
using Wharf.Protocol;

namespace Wharf.Server;

/// <summary>
/// What a handler knows about one request besides its body: the connection, the header and the version.
/// Resources registered with <see cref="DisposeAfterResponse"/> (pooled read buffers that a response's
/// records point into) are released once the response has been sent.
/// Thread-safety: one request, one thread at a time.
/// </summary>
public sealed class RequestContext(ConnectionInfo connection, RequestHeader header)
{
    private List<IDisposable>? _resources;

    public ConnectionInfo Connection { get; } = connection;

    public RequestHeader Header { get; } = header;

    public short ApiVersion => Header.ApiVersion;

    public string? ClientId => Header.ClientId;

    public void DisposeAfterResponse(IDisposable resource) => (_resources ??= []).Add(resource);

    internal IReadOnlyList<IDisposable>? Resources => _resources;
}
