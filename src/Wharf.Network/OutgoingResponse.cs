using Wharf.Protocol;

namespace Wharf.Network;

/// <summary>
/// A response body with the header version and body version to encode it at. <see cref="AfterWrite"/> runs once
/// the bytes are in the output (or the connection failed), e.g. to return pooled buffers the body points into.
/// </summary>
public sealed record OutgoingResponse(int CorrelationId, short HeaderVersion, short Version, IKafkaMessage Body)
{
    public Action? AfterWrite { get; init; }
}
