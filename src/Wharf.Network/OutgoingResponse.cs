using Wharf.Protocol;

namespace Wharf.Network;

/// <summary>
/// A response body with the header version and body version to encode it at. <see cref="AfterSent"/> runs once
/// the response has been sent, or at once if it cannot be encoded, e.g. to return the pooled buffers the body points
/// into (the send may read them in place). If the connection fails while sending, it does not run: the buffers are
/// left to the GC rather than returned to a pool while the kernel may still read them.
/// </summary>
public sealed record OutgoingResponse(int CorrelationId, short HeaderVersion, short Version, IKafkaMessage Body)
{
    public Action? AfterSent { get; init; }
}
